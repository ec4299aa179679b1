use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let t = Instant::now();
    let bytes = std::fs::read(&path).unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    let t1 = Instant::now();
    let loaded =
        senderzone::inventory::Inventory::from_bytes(std::path::Path::new(&path), &bytes).unwrap();
    let t2 = Instant::now();
    let plan = senderzone::records::plan(&loaded.inventory).unwrap();
    let t3 = Instant::now();
    let mut out = Vec::new();
    use senderzone::render::Render;
    senderzone::render::Zone
        .render_plan(&plan, &mut out)
        .unwrap();
    let t4 = Instant::now();
    let _ = senderzone::inventory::SpanIndex::build(text);
    let t5 = Instant::now();
    eprintln!(
        "read {:?} load {:?} plan {:?} render {:?} ({} bytes) spans {:?}",
        t1 - t,
        t2 - t1,
        t3 - t2,
        t4 - t3,
        out.len(),
        t5 - t4
    );
}
