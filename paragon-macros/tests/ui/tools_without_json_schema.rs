use paragon_macros::{Integration, endpoints};

#[derive(Integration)]
#[integration(name = "Task Lab", base_url = "https://tasklab.example/v1", test_endpoint = "/me", auth = none)]
struct TaskLab;

#[derive(serde::Serialize)]
struct NewTask {
    title: String,
}

#[endpoints(TaskLab, tools)]
trait TaskLabApi {
    #[post("/tasks")]
    async fn create_task(&self, #[body] task: &NewTask) -> String;
}

fn main() {}
