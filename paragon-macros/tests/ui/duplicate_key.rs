use paragon_macros::Integration;

#[derive(Integration)]
#[integration(name = "GitHub", name = "GitLab", base_url = "https://api.github.com", test_endpoint = "/user", auth = none)]
struct GitHub;

fn main() {}
