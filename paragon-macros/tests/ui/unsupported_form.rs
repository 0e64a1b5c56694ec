use paragon_macros::Integration;

#[derive(Integration)]
#[integration(name = "Acme", base_url = "https://api.acme.com", test_endpoint = "/me", auth = "oauth")]
struct Acme;

#[derive(Integration)]
#[integration = "acme"]
struct Acme2;

fn main() {}
