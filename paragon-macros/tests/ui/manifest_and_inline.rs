use paragon_macros::Integration;

#[derive(Integration)]
#[integration(manifest = "fixtures/valid/integration.toml", base_url = "https://api.acme.com")]
struct Acme;

fn main() {}
