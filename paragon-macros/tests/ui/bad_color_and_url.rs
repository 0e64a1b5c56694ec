use paragon_macros::Integration;

// Every problem is reported at once, each at its own attribute.
#[derive(Integration)]
#[integration(
    name = "GitHub",
    color = "blue",
    base_url = "api.github.com",
    test_endpoint = "/user",
    auth = none,
)]
struct GitHub;

fn main() {}
