// A native function to start from: uppercases each message, sends the ones that
// mention the configured keyword to the `alerts` topic, signs each with a secret,
// and refuses empty messages (a user error: retried, then dead-lettered).
// Build: `bash sdk/assemblyscript/build.sh`; test: `fmc test sdk/assemblyscript/template`.
import { Config, Context, Message, Output, register } from "../../assembly/fmc";
export { fmc_alloc, fmc_init, fmc_process_batch } from "../../assembly/fmc";

let keyword = "";
let signer = "nobody";

function init(config: Config): string | null {
  const k = config.getString("keyword");
  if (k == null) return "config.keyword is required";
  keyword = k;
  const s = config.secret("SIGNER");
  if (s != null) signer = s;
  return null;
}

function process(message: Message, ctx: Context): string | null {
  const text = message.text();
  if (text.length == 0) return "an empty message";
  const out = Output.text(text.toUpperCase()).withProperty("signed-by", signer);
  if (text.includes(keyword)) ctx.outputTo("alerts", out);
  else ctx.output(out);
  return null;
}

register(init, process);
