use paragon_macros::Integration;

#[derive(Integration)]
#[integration(name = "Acme", base_url = "http://api.acme.com/v1", test_endpoint = "/me", auth = none)]
struct Acme;

fn main() {}
