use paragon_macros::{Integration, endpoints};

#[derive(Integration)]
#[integration(name = "Task Lab", base_url = "https://tasklab.example/v1", test_endpoint = "/me", auth = none)]
struct TaskLab;

#[endpoints(TaskLab, tools)]
trait TaskLabApi {
    #[get("/tasks")]
    async fn tasks<Q: serde::Serialize>(&self, #[query] query: &Q) -> Vec<String>;

    #[get("/me")]
    async fn me(&self) -> String;

    #[get("/me")]
    async fn whoami(&self) -> String;
}

#[endpoints(TaskLab, tool)]
trait Misspelled {}

fn main() {}
