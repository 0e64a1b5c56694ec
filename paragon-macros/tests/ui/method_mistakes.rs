use paragon_macros::{Integration, endpoints};

#[derive(Integration)]
#[integration(name = "GitHub", base_url = "https://api.github.com", test_endpoint = "/user", auth = none)]
struct GitHub;

#[derive(serde::Serialize)]
struct Search {
    q: String,
}

#[endpoints(GitHub)]
trait GitHubApi {
    #[gett("/user")]
    async fn misspelled(&self) -> String;

    #[get("/search")]
    async fn body_on_get(&self, #[body] search: &Search) -> String;

    #[head("/search")]
    async fn body_on_head(&self, #[body] search: &Search) -> String;
}

fn main() {}
