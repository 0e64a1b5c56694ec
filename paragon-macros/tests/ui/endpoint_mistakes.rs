use paragon_macros::{Integration, endpoints};

#[derive(Integration)]
#[integration(name = "GitHub", base_url = "https://api.github.com", test_endpoint = "/user", auth = none)]
struct GitHub;

#[endpoints(GitHub)]
trait GitHubApi {
    async fn no_method(&self) -> String;

    #[get("users/{username}")]
    async fn relative(&self, username: &str) -> String;

    #[get("/user")]
    async fn returns_result(&self) -> Result<String, String>;

    #[get("/user")]
    async fn mutable(&mut self) -> String;
}

fn main() {}
