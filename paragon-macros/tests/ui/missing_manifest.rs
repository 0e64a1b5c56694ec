use paragon_macros::Integration;

#[derive(Integration)]
#[integration(manifest = "specs/nope/integration.toml")]
struct Nope;

fn main() {}
