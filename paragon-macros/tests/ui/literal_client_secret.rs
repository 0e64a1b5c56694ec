use paragon_macros::Integration;

#[derive(Integration)]
#[integration(
    name = "GitHub",
    base_url = "https://api.github.com",
    test_endpoint = "/user",
    auth = oauth2(
        authorization_url = "https://github.com/login/oauth/authorize",
        token_url = "https://github.com/login/oauth/access_token",
        client_id = "{env.GITHUB_CLIENT_ID}",
        client_secret = "3f1c9a0b7d",
    ),
    authorization = bearer(token = "{credential.access_token}"),
)]
struct GitHub;

fn main() {}
