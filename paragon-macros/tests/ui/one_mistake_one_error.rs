use paragon_macros::Integration;
use paragon_sdk::Integration as _;

#[derive(Integration)]
#[integration(nme = "GitHub", base_url = "https://api.github.com", test_endpoint = "/user", auth = none)]
struct GitHub;

fn main() {
    // Only the misspelled key is reported, not `no associated item named NAME` here too.
    let _ = GitHub::NAME;
    let _ = GitHub::TEST_ENDPOINT;
    let _ = GitHub::definition_toml();
}
