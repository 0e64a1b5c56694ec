use paragon_macros::Integration;

#[derive(Integration)]
#[integration(
    name = "Keys",
    base_url = "https://api.example.com",
    test_endpoint = "/me",
    auth = none,
    authorization = bearer("{input.api_key}"),
)]
struct Keys;

fn main() {}
