"""The county exchange workbook: format contract, digest, export, import, legacy rosters, reports."""
