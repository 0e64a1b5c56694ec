use paragon_macros::{Integration, endpoints};

#[derive(Integration)]
#[integration(name = "GitHub", base_url = "https://api.github.com", test_endpoint = "/user", auth = none)]
struct GitHub;

#[endpoints(GitHub)]
trait GitHubApi {
    #[get("/user")]
    async fn user(&self, username: &str) -> String;
}

fn main() {}
