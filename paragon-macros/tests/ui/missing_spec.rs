use paragon_macros::Integration;

#[derive(Integration)]
#[integration(manifest = "fixtures/valid/integration.toml", spec = "fixtures/valid/openapi.json", tags = ["tasks"])]
struct Acme;

fn main() {}
