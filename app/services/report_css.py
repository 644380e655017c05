"""The report page's stylesheet: screen first, and `@media print` for A4 on paper."""

CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#111827;
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:980px;margin:0 auto;padding:24px 28px 40px;background:#fff}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:28px 0 10px;padding-bottom:4px;border-bottom:2px solid #e5e7eb}
h3{font-size:15px;margin:8px 0}
.meta{color:#4b5563;margin:0}
a{color:#1d4ed8}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:10px;margin-top:18px}
.kpi{border:1px solid #e5e7eb;border-radius:8px;padding:10px 12px}
.kpi.wide{grid-column:1/-1}
.kpi .v{font-size:28px;font-weight:700}
.kpi .l{color:#4b5563;font-size:13px}
.kpi .s{font-size:13px;margin-top:4px}
.gbar{display:flex;height:14px;border-radius:7px;overflow:hidden;background:#e5e7eb;margin:6px 0}
.g-green{background:#16a34a}.g-yellow{background:#eab308}.g-red{background:#dc2626}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e5e7eb;vertical-align:top}
thead th{color:#4b5563;font-weight:600;font-size:13px}
td.num,th.num,.cmp td,.cmp thead th{text-align:right;font-variant-numeric:tabular-nums}
small{color:#6b7280;font-size:12px;font-weight:400}
.note{color:#6b7280;font-size:13px;margin:0 0 6px}
.cmp tbody th{font-weight:500}
.delta.good{color:#15803d;font-weight:600}.delta.bad{color:#b91c1c;font-weight:600}
.delta.flat{color:#6b7280}
.team{font-size:13px}.team th,.team td{padding:4px 5px}
.coach{margin-top:24px;background:#fff7ed;border:2px solid #fdba74;border-radius:10px;
padding:4px 18px 12px}
.coach h2{border-color:#fdba74}
.coach ol{padding-left:22px;margin:0}
.coach h3{margin:14px 0 6px;color:#9a3412}
.target{margin:8px 0 12px}
.goal{font-size:18px}
.items{margin:0;padding-left:22px}
.phrase{margin:10px 0 14px}
.swap{font-size:18px;display:flex;flex-wrap:wrap;gap:8px;align-items:baseline}
.swap .bad{color:#b91c1c;text-decoration:line-through;text-decoration-thickness:2px}
.swap .good{color:#15803d;font-weight:700}
.swap .arrow{color:#6b7280}
.swap .count{margin-left:auto;font-size:14px;background:#fed7aa;border-radius:10px;
padding:1px 10px}
.ex{margin:4px 0 0;padding-left:18px;color:#374151;font-size:14px}
.ex q{font-style:italic}
mark{background:#fecaca;padding:0 2px;border-radius:2px}
svg.chart{display:block;width:100%;height:auto;margin:12px 0 22px}
.two{display:grid;grid-template-columns:1fr 1fr;gap:18px}
footer{margin-top:30px;color:#6b7280;font-size:12px}
@media (max-width:720px){.kpis{grid-template-columns:1fr 1fr}.two{grid-template-columns:1fr}}
@media print{
@page{size:A4;margin:14mm}
body{background:#fff;font-size:12px}
main{max-width:none;padding:0}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
section,svg.chart,.phrase,.target,tr{break-inside:avoid}
h2{break-after:avoid}
a{color:inherit;text-decoration:none}
}
"""
