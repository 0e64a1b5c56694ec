use paragon_macros::Integration;

#[derive(Integration)]
#[integration(
    name = "Acme",
    base_url = "https://api.acme.com",
    test_endpoint = "/me",
    auth = api_key,
    authorization = headers("X-Api-Key" = "{input.api_key}"),
)]
struct Acme;

fn main() {}
