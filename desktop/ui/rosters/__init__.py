"""Rosters kept beside the cards: helpers, villages, poverty lines, township settings."""
