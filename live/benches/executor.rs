//! Placeholder until the executor bench lands.
fn main() {}
