//! Prints every first divergence of a server from a profile over generated programs:
//! `cargo run -p redis-races-properties --example divergences -- redis-6.0 redis-6.0 64`.

use live::{LiveServer, SafetyOptions, ServerSpec};
use model::Profile;
use properties::compare::compare;
use properties::matrix::{programs, MATRIX_SEED};
use properties::run::{run_model, LiveSession};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let server = args.get(1).map_or("redis-7.0", String::as_str);
    let profile: Profile = args
        .get(2)
        .map_or("redis-7.0", String::as_str)
        .parse()
        .unwrap();
    let cases: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(64);
    let live = LiveServer::start(
        &ServerSpec::parse(server).unwrap(),
        &SafetyOptions::default(),
    )
    .unwrap();
    let mut session = LiveSession::new(&live).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut seed = MATRIX_SEED;
    if let Some(s) = args.get(4) {
        for (i, b) in s.bytes().enumerate().take(32) {
            seed[i] = b;
        }
    }
    for prog in programs(cases, seed) {
        let l = session.run(&prog, profile).unwrap();
        let m = run_model(&prog, profile);
        if let Some(d) = compare(&prog, &m, &l) {
            let s = d.to_string();
            if seen.insert(s.clone()) {
                println!("{s}\n");
            }
        }
    }
}
