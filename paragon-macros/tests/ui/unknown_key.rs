use paragon_macros::Integration;

#[derive(Integration)]
#[integration(nme = "GitHub", base_url = "https://api.github.com", test_endpoint = "/user", auth = none)]
struct GitHub;

fn main() {}
