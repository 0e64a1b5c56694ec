use paragon_macros::Integration;

// The message names the manifest's own file, line and column.
#[derive(Integration)]
#[integration(manifest = "fixtures/invalid/integration.toml")]
struct Invalid;

fn main() {}
