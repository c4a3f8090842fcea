"""Work away from home (务工, domain.md §2.9 and §5.2.9)."""

from __future__ import annotations

from desktop.core.checks.engine import ERROR, Finding, rule

CAT = "务工"


@rule("WRK01", ERROR, "务工时间超出0–12个月", category=CAT, needs=("member.work_months",),
      settings=("thresholds.work_months_max",),
      description="务工时间（月）小于0或大于 work_months_max（默认12）。")
def months_out_of_range(ds):
    limit = ds.settings.work_months_max
    for m in ds.truthy("work_months"):
        if not 0 <= m.work_months <= limit:
            yield Finding(ds.hv_of(m), f"{m.work_months}个月，应在0–{limit}之间", m, "work_months", value=m.work_months)


@rule("WRK02", ERROR, "有务工地但务工时间为0", category=CAT, needs=("member.work_location", "member.work_months"),
      description="填了务工所在地，但务工时间为空或0。")
def location_without_months(ds):
    for m in ds.truthy("work_location"):
        if not m.work_months:
            yield Finding(ds.hv_of(m), f"务工所在地为“{m.work_location}”，务工时间为0", m, "work_months",
                          value=m.work_months)


@rule("WRK03", ERROR, "务工时间大于0但无务工地", category=CAT, needs=("member.work_location", "member.work_months"),
      description="务工时间大于0，但务工所在地为空。")
def months_without_location(ds):
    limit = ds.settings.work_months_max
    for m in ds.truthy("work_months"):
        if not m.work_location and 0 < m.work_months <= limit:
            yield Finding(ds.hv_of(m), f"务工 {m.work_months} 个月，未填务工所在地", m, "work_location")


@rule("WRK04", ERROR, "公益性岗位月数超出0–12", category=CAT, needs=("member.public_job_months",),
      settings=("thresholds.work_months_max",),
      description="公益性岗位(月)小于0或大于 work_months_max（默认12）。")
def public_job_months(ds):
    limit = ds.settings.work_months_max
    for m in ds.truthy("public_job_months"):
        v = m.public_job_months
        if not 0 <= v <= limit:
            yield Finding(ds.hv_of(m), f"{v}个月，应在0–{limit}之间", m, "public_job_months", value=v)
