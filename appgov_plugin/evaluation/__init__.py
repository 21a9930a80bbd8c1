"""App evaluation: Kaohsiung's KPI table (KH-KPI-1..3) and Tainan's own targets
(TN-PERF-1/3); the yearly evaluation run comes with its issue."""
