/// The page's inline style sheet: system fonts only (no downloads), plot styling by class so that
/// the SVG markup stays small. It contains no `<` or `&`, so the page also parses as XML.
enum PageStyle {
    static let css = """
    body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;\
    margin:0 auto;max-width:1000px;padding:16px 24px;color:#1a1a1a;background:#ffffff;font-size:14px;line-height:1.45}\
    h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:28px 0 8px;padding-top:8px;border-top:2px solid #dddddd}\
    h3{font-size:15px;margin:16px 0 6px}nav a{margin-right:14px}\
    dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:8px 0}\
    dl.facts dt{font-weight:600}dl.facts dd{margin:0;word-break:break-all}\
    div.table{overflow-x:auto}table{border-collapse:collapse;margin:8px 0 16px;font-size:12.5px}\
    caption{text-align:left;font-weight:600;padding:4px 0}\
    th,td{border-bottom:1px solid #e2e2e2;padding:3px 8px;text-align:left;vertical-align:top}\
    th{background:#f3f3f3}.num{text-align:right;font-variant-numeric:tabular-nums}\
    p.none{color:#666666;font-style:italic}figure{margin:12px 0}figcaption{font-weight:600;margin-bottom:4px}\
    svg{max-width:100%;height:auto;display:block;font-size:12px}svg text{fill:#1a1a1a}\
    .grid{stroke:#e6e6e6;stroke-width:1}.axis{stroke:#333333;stroke-width:1}\
    .tick{fill:#444444;font-size:11px}.title{font-size:12px}\
    .null{stroke:#333333;stroke-width:1;stroke-dasharray:4 3}\
    .band90{fill-opacity:0.15;stroke:none}.band50{fill-opacity:0.3;stroke:none}\
    .median{fill:none;stroke-width:2}.km{fill:none;stroke-width:2}.censor{stroke-width:1.5}\
    .interval{stroke-width:2}.grade{stroke:#ffffff;stroke-width:0.5}
    """
}
