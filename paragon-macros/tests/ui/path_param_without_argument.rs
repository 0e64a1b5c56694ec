use paragon_macros::{Integration, endpoints};

#[derive(Integration)]
#[integration(name = "GitHub", base_url = "https://api.github.com", test_endpoint = "/user", auth = none)]
struct GitHub;

#[endpoints(GitHub)]
trait GitHubApi {
    #[get("/repos/{owner}/{repo}")]
    async fn repo(&self, owner: &str) -> String;
}

fn main() {}
