use paragon_macros::Integration;

// The message names the spec's own file, line and column.
#[derive(Integration)]
#[integration(manifest = "fixtures/valid/integration.toml", spec = "fixtures/valid/broken-openapi.yaml")]
struct Acme;

fn main() {}
