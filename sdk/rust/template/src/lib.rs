//! A native function to start from: uppercases each message, sends the ones
//! that mention the configured keyword to the `alerts` topic, signs each with
//! the length of a secret, and refuses empty messages (a user error: retried,
//! then dead-lettered). Build: `bash sdk/rust/build.sh`; test: `fmc test sdk/rust/template`.

use fmc_sdk::{export, Config, Context, Function, Message, Output};

struct Shout {
    keyword: String,
    signer: String,
}

impl Function for Shout {
    fn init(config: &Config) -> Result<Self, String> {
        let keyword = config.string("keyword").ok_or("config.keyword is required")?;
        let signer = config.secret("SIGNER").unwrap_or("nobody").to_string();
        Ok(Shout { keyword, signer })
    }

    fn process(&mut self, message: &Message, ctx: &mut Context) -> Result<(), String> {
        let text = message.text().ok_or("the payload is not UTF-8")?;
        if text.is_empty() {
            return Err("an empty message".into());
        }
        let out = Output::new(text.to_uppercase()).property("signed-by", self.signer.as_str());
        if text.contains(&self.keyword) {
            ctx.output_to("alerts", out);
        } else {
            ctx.output(out);
        }
        Ok(())
    }
}

export!(Shout);
