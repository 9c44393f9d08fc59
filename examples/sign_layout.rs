//! Sign an artifact in an OCI image layout (directory or tar) with a PEM key and its PEM
//! certificate chain, storing the signature in the layout.
//!
//! ```text
//! sign_layout <layout>:<tag>|<layout>@<digest> <key.pem> <certs.pem> [--cose]
//! ```
//!
//! Prints the signature manifest's digest; a one-line error and exit 1 otherwise.

use notation::reference::LayoutReference;
use notation::{Format, Layout, Signer};

async fn sign(args: &[String]) -> Result<String, Box<dyn std::error::Error>> {
    let cose = args.iter().any(|a| a == "--cose");
    let args: Vec<&String> = args.iter().filter(|a| *a != "--cose").collect();
    let [reference, key, certs] = args.as_slice() else {
        return Err(
            "usage: sign_layout <layout>:<tag>|<layout>@<digest> <key.pem> <certs.pem> [--cose]"
                .into(),
        );
    };
    let path = LayoutReference::parse(reference)?.path;
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
    let format = if cose { Format::Cose } else { Format::Jws };
    let signer = Signer::from_pem(&read(key)?, &read(certs)?)?.format(format);
    let layout = Layout::open(path.as_ref()).map_err(|e| format!("{path}: {e}"))?;
    Ok(signer.sign(&layout, reference).await?)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match sign(&args).await {
        Ok(digest) => println!("{digest}"),
        Err(e) => {
            eprintln!("Error: {}", e.to_string().replace('\n', " "));
            std::process::exit(1);
        }
    }
}
