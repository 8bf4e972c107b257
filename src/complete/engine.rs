//! The completion engine: clap_complete's dynamic engine as bash, zsh, fish
//! and the interactive shell use it, the registration scripts completions/
//! holds, and knet's filtering of the engine's candidates. Knows nothing of
//! what an argument offers (src/complete/providers.rs) and never connects.

use clap_complete::engine::CompletionCandidate;

use super::providers;

/// Tell the providers which line is being completed: its words, program
/// name first, WITHOUT the word under the cursor (the shells' and the
/// interactive shell's line alike).
pub fn set_line(words: Vec<String>) {
    let m = if words.is_empty() { None } else { crate::cli::command().ignore_errors(true).try_get_matches_from(words).ok() };
    providers::set_line(m);
}

/// Handle a `COMPLETE=<shell>` request (the protocol of the scripts in
/// completions/) and exit; return when this is a normal run.
///
/// Must run before anything is printed. clap_complete removes `COMPLETE`
/// from the environment, so the `knet-libvirt` children started for live
/// names run as plain commands.
pub fn env_complete() {
    let Some(shell) = std::env::var_os("COMPLETE") else { return };
    if shell.is_empty() || shell == "0" {
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    if let Some(dash) = args.iter().position(|a| a == "--") {
        let mut words = args[dash + 1..].to_vec();
        // bash and zsh say which word is under the cursor; fish always completes the last
        let at = std::env::var("_CLAP_COMPLETE_INDEX").ok().and_then(|i| i.parse().ok()).unwrap_or(words.len().saturating_sub(1));
        words.truncate(at);
        // bash (our script splits COMP_LINE itself) and zsh ($words) hand
        // over the words as typed, quotes and all: `-c 'qemu:///system?socket=/x'`
        // must reach libvirt without its quotes. fish's --tokenize has
        // already removed them, and a second pass would eat a literal quote.
        if shell != "fish" {
            words = words.iter().map(|w| unquote(w)).collect();
        }
        set_line(words);
    }
    let shells: [&dyn clap_complete::env::EnvCompleter; 3] = [&Shell::Bash, &Shell::Zsh, &Shell::Fish];
    clap_complete::CompleteEnv::with_factory(crate::cli::command)
        .completer("knet")
        .shells(clap_complete::env::Shells(&shells))
        .complete();
}

/// The engine's candidates for `args[index]`, as knet offers them: hidden
/// ones dropped, and options only when the word starts with `-` or nothing
/// else fits, so `net-start <TAB>` offers networks, not `--connect`.
pub fn candidates(cmd: &mut clap::Command, args: Vec<std::ffi::OsString>, index: usize) -> Vec<CompletionCandidate> {
    let current = args.get(index).map(|a| a.to_string_lossy().into_owned()).unwrap_or_default();
    let cwd = std::env::current_dir().ok();
    let mut c: Vec<CompletionCandidate> =
        clap_complete::engine::complete(cmd, args, index, cwd.as_deref()).unwrap_or_default().into_iter().filter(|c| !c.is_hide_set()).collect();
    let is_flag = |c: &CompletionCandidate| c.get_value().to_string_lossy().starts_with('-');
    if !current.starts_with('-') && c.iter().any(|x| !is_flag(x)) {
        c.retain(|x| !is_flag(x));
    }
    c
}

/// The registration scripts completions/ holds: (file name as each shell's
/// completion directory expects it, script).
pub fn registrations() -> Vec<(&'static str, String)> {
    [("knet.bash", Shell::Bash), ("_knet", Shell::Zsh), ("knet.fish", Shell::Fish)]
        .into_iter()
        .map(|(file, sh)| {
            let mut v = Vec::new();
            let _ = clap_complete::env::EnvCompleter::write_registration(&sh, "COMPLETE", "knet", "knet", "knet", &mut v);
            (file, String::from_utf8_lossy(&v).into_owned())
        })
        .collect()
}

/// bash splits the line into COMP_WORDS at every COMP_WORDBREAKS character,
/// `:` and `=` included, so clap's script would hand knet `test` `:`
/// `///default` for a URI and `52` `:` `54` ... for a MAC. This one re-splits
/// the line up to the cursor on blanks only, so `-c URI` and MACs reach knet
/// whole, then strips from each candidate the part of the word bash does not
/// replace (up to its last wordbreak), as bash-completion's
/// __ltrim_colon_completions does. Protocol otherwise clap_complete's.
const BASH_REGISTRATION: &str = r#"
_knet() {
    local line=${COMP_LINE:0:COMP_POINT}
    local -a words
    IFS=$' \t\n' read -r -a words <<< "$line"
    [[ -z $line || $line == *[[:blank:]] ]] && words+=("")
    local cur=${words[${#words[@]}-1]}
    local IFS=$'\013'
    COMPREPLY=( $( \
        _CLAP_IFS="$IFS" \
        _CLAP_COMPLETE_INDEX=$(( ${#words[@]} - 1 )) \
        VAR="bash" \
        COMPLETER -- "${words[@]}" 2>/dev/null \
    ) )
    if [[ $? != 0 ]]; then
        unset COMPREPLY
        return
    fi
    local i prefix=
    for (( i = ${#cur} - 1; i >= 0; i-- )); do
        if [[ $COMP_WORDBREAKS == *"${cur:i:1}"* ]]; then
            prefix=${cur:0:i+1}
            break
        fi
    done
    [[ -n $prefix ]] && COMPREPLY=( "${COMPREPLY[@]#"$prefix"}" )
    # a value ending in = or / goes on being typed: no space after it
    [[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == *[=/] ]] && compopt -o nospace
}
complete -o bashdefault -o nosort -F _knet BIN
"#;

/// clap's zsh registration is made to be sourced; installed in `$fpath` it
/// is autoloaded as `_knet` on the first Tab, which would only register the
/// completer and offer nothing. Completing at once when autoloaded (zsh's own
/// `$funcstack` idiom, as clap's static zsh scripts do) makes the first Tab work.
fn zsh_autoloadable(script: &str) -> String {
    let reg = "compdef _clap_dynamic_completer_knet knet";
    let idiom = "if [ \"$funcstack[1]\" = \"_knet\" ]; then\n    _clap_dynamic_completer_knet \"$@\"\nelse\n    compdef _clap_dynamic_completer_knet knet\nfi";
    script.replacen(reg, idiom, 1)
}

/// bash, zsh and fish as clap_complete speaks to them (same registration
/// scripts, same answer formats, clap_complete/src/env/shells.rs), with
/// knet's [`candidates`] in between.
#[derive(Clone, Copy)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    fn clap(self) -> &'static dyn clap_complete::env::EnvCompleter {
        match self {
            Shell::Bash => &clap_complete::env::Bash,
            Shell::Zsh => &clap_complete::env::Zsh,
            Shell::Fish => &clap_complete::env::Fish,
        }
    }
}

impl clap_complete::env::EnvCompleter for Shell {
    fn name(&self) -> &'static str {
        self.clap().name()
    }
    fn is(&self, name: &str) -> bool {
        self.clap().is(name)
    }
    fn write_registration(&self, var: &str, name: &str, bin: &str, completer: &str, buf: &mut dyn std::io::Write) -> std::io::Result<()> {
        match self {
            Shell::Bash => {
                let completer = shell_words::quote(completer);
                let script = BASH_REGISTRATION.replace("VAR", var).replace("COMPLETER", &completer).replace("BIN", &shell_words::quote(bin));
                buf.write_all(script.as_bytes())
            }
            Shell::Zsh => {
                let mut v = Vec::new();
                self.clap().write_registration(var, name, bin, completer, &mut v)?;
                buf.write_all(zsh_autoloadable(&String::from_utf8_lossy(&v)).as_bytes())
            }
            Shell::Fish => self.clap().write_registration(var, name, bin, completer, buf),
        }
    }
    fn write_complete(&self, cmd: &mut clap::Command, mut args: Vec<std::ffi::OsString>, _: Option<&std::path::Path>, buf: &mut dyn std::io::Write) -> std::io::Result<()> {
        let env_index = std::env::var("_CLAP_COMPLETE_INDEX").ok().and_then(|i| i.parse::<usize>().ok()).unwrap_or_default();
        let ifs = std::env::var("_CLAP_IFS").ok();
        let index = match self {
            Shell::Bash => env_index,
            Shell::Zsh => {
                if args.len() == env_index {
                    args.push("".into());
                }
                env_index
            }
            Shell::Fish => args.len().saturating_sub(1),
        };
        let first_line = |c: &CompletionCandidate| c.get_help().map(|h| h.to_string().lines().next().unwrap_or_default().to_string());
        for (i, c) in candidates(cmd, args, index).iter().enumerate() {
            let v = c.get_value().to_string_lossy();
            match self {
                Shell::Bash => {
                    if i > 0 {
                        write!(buf, "{}", ifs.as_deref().unwrap_or("\n"))?;
                    }
                    write!(buf, "{v}")?;
                }
                Shell::Zsh => {
                    if i > 0 {
                        write!(buf, "{}", ifs.as_deref().unwrap_or("\n"))?;
                    }
                    write!(buf, "{}", v.replace('\\', "\\\\").replace(':', "\\:"))?;
                    if let Some(h) = first_line(c) {
                        write!(buf, ":{}", h.replace('\\', "\\\\"))?;
                    }
                }
                Shell::Fish => {
                    write!(buf, "{v}")?;
                    if let Some(h) = first_line(c) {
                        write!(buf, "\t{h}")?;
                    }
                    writeln!(buf)?;
                }
            }
        }
        Ok(())
    }
}

/// A word as the shell would pass it to a command: `'...'` literal, `"..."`
/// with `\` escaping `"`, `\`, `$` and `` ` ``, a bare `\x` is `x`. A quote
/// left open (a word still being typed) runs to the end of the word.
pub fn unquote(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => out.extend(chars.by_ref().take_while(|&c| c != '\'')),
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$' | '`')) => out.extend(chars.next()),
                        c => out.push(c),
                    }
                }
            }
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_lose_the_shells_quotes() {
        use super::unquote;
        assert_eq!(unquote("'qemu:///system?socket=/x'"), "qemu:///system?socket=/x");
        assert_eq!(unquote("\"qemu:///system?socket=/x\""), "qemu:///system?socket=/x");
        assert_eq!(unquote("qemu:///system\\?socket=/x"), "qemu:///system?socket=/x");
        assert_eq!(unquote("a'b c'\"d\\\"e\""), "ab cd\"e");
        assert_eq!(unquote("'half-typed"), "half-typed");
        assert_eq!(unquote("\"a\\b\""), "a\\b");
    }

    use super::*;

    #[test]
    fn line_context_finds_connect_anywhere() {
        set_line(vec!["knet".into(), "net-list".into(), "-c".into(), "test:///default".into(), "-r".into()]);
        assert_eq!(providers::line_connection(), (Some("test:///default".to_string()), true));
        set_line(vec!["knet".into(), "--connect=qemu:///system".into(), "net-list".into()]);
        assert_eq!(providers::line_connection(), (Some("qemu:///system".to_string()), false));
        set_line(Vec::new());
    }
}
