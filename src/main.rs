use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = dbtwin::cli::Cli::parse();
    let code = match dbtwin::app::run(cli).await {
        Ok(()) => dbtwin::app::exit::OK,
        Err(err) => {
            // Each line of the chain's text is its own complaint (a plan lists every problem).
            for line in format!("{err:#}").lines() {
                eprintln!("error: {line}");
            }
            dbtwin::app::exit_code(&err)
        }
    };
    std::process::exit(code);
}
