use std::time::Instant;
#[derive(serde::Deserialize)]
struct Any {
    #[allow(dead_code)]
    servers: Vec<serde_yaml::Value>,
}
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let t = Instant::now();
    let v: Any = serde_yaml::from_str(&text).unwrap();
    eprintln!(
        "serde_yaml value parse {:?} {}",
        t.elapsed(),
        v.servers.len()
    );
}
