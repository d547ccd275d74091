#[test]
fn probe_tc() {
    use testcontainers::{runners::SyncRunner, GenericImage};
    let r = GenericImage::new("redis-races-nonexistent", "x").start();
    println!("{:?}", r.err());
}
