//! The interactive shell (`knet`, `knet shell`) and command sequences
//! (`knet -c URI "net-destroy default; net-list --all"`), as virsh has them
//! (tools/vsh.c: vshCommandStringParse, vshReadline).
//!
//! One [`Session`] keeps one connection open for all the commands it runs,
//! so what a command changes (even on the test driver, whose state lives as
//! long as the connection) is what the next command sees. Every line is
//! split into words the way virsh splits them ([`split`]) and parsed with the
//! same clap tree as the command line, so every command knet has works here
//! with the same options, and tab completion is the same engine as the
//! shells' (src/complete/) plus the shell's own commands (`connect`,
//! `quit`, `exit`).
//!
//! The shell always runs in `knet-libvirt`: it asks for the connection
//! before printing anything, which in the light binary execs knet-libvirt
//! with the same arguments.
//!
//! Never exit the process from here on a command's error: it is printed and
//! the session goes on.

use std::io::{BufRead, IsTerminal};

use clap::{Arg, CommandFactory, FromArgMatches, Parser};
use clap_complete::engine::ArgValueCandidates;
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::{DefaultHistory, History};
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Editor, Helper};

use crate::cli::Cli;
use crate::context::Ctx;
use crate::exit;

const BANNER: &str = "Welcome to knet, the libvirt networking interactive terminal.\n\n\
Type:  'help' for help with commands\n       'quit' to quit\n";

// ---------------------------------------------------------------------------
// Words.

/// One word of a line, and where it starts (byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Word {
    start: usize,
    text: String,
}

/// What the lexer found: commands (separated by `;` or newline), the
/// quote still open at the end (if any), and whether the line ends inside a
/// word.
struct Lexed {
    commands: Vec<Vec<Word>>,
    open_quote: Option<char>,
    dangling_backslash: bool,
    ends_in_word: bool,
}

/// virsh's lexer (vshCommandStringGetArg): blanks separate words; `;` and
/// newline separate commands; `'...'` is literal; `"..."` and bare text take
/// `\` as an escape; a word starting with `#` comments out the rest of the line.
fn lex(line: &str) -> Lexed {
    let mut commands = vec![Vec::new()];
    let mut chars = line.char_indices().peekable();
    let mut cur: Option<Word> = None;
    let (mut single, mut double) = (false, false);
    let mut dangling_backslash = false;
    while let Some((i, c)) = chars.next() {
        if !single && !double {
            if c == ' ' || c == '\t' || c == ';' || c == '\n' {
                if let Some(w) = cur.take() {
                    commands.last_mut().unwrap().push(w);
                }
                if c == ';' || c == '\n' {
                    commands.push(Vec::new());
                }
                continue;
            }
            // a backslash-newline between words is no word at all
            if c == '\\' && cur.is_none() && chars.peek().is_some_and(|(_, n)| *n == '\n') {
                chars.next();
                continue;
            }
            if c == '#' && cur.is_none() {
                while chars.peek().is_some_and(|(_, c)| *c != '\n') {
                    chars.next();
                }
                continue;
            }
        }
        let w = cur.get_or_insert_with(|| Word { start: i, text: String::new() });
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '\\' if !single => match chars.next() {
                Some((_, '\n')) => {}
                Some((_, n)) => w.text.push(n),
                None => dangling_backslash = true,
            },
            _ => w.text.push(c),
        }
    }
    let ends_in_word = cur.is_some();
    if let Some(w) = cur.take() {
        commands.last_mut().unwrap().push(w);
    }
    let open_quote = if single { Some('\'') } else if double { Some('"') } else { None };
    Lexed { commands, open_quote, dangling_backslash, ends_in_word }
}

/// Split a line into commands and their words, as virsh does: a double
/// quote left open is an error, a single one is not (virsh's lexer only
/// checks the double quote).
pub fn split(line: &str) -> Result<Vec<Vec<String>>, String> {
    let l = lex(line);
    if l.open_quote == Some('"') {
        return Err("missing \"".to_string());
    }
    if l.dangling_backslash {
        return Err("dangling \\".to_string());
    }
    Ok(l.commands.into_iter().filter(|c| !c.is_empty()).map(|c| c.into_iter().map(|w| w.text).collect()).collect())
}

/// Quote a completed word so [`split`] gives it back unchanged.
fn quote(word: &str) -> String {
    if !word.is_empty() && !word.chars().any(|c| " \t\n;#'\"\\".contains(c)) {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', "'\"'\"'"))
}

// ---------------------------------------------------------------------------
// The shell's clap tree: knet's, plus the shell's own commands.

fn shell_command() -> clap::Command {
    let tree = Cli::command()
        .subcommand(
            clap::Command::new("connect")
                .about("Connect to another hypervisor URI (the current connection stays if it fails)")
                .arg(Arg::new("name").value_name("URI").help("Hypervisor connection URI").add(ArgValueCandidates::new(crate::complete::uris()))),
        )
        .subcommand(clap::Command::new("quit").about("Quit this interactive terminal"))
        .subcommand(clap::Command::new("exit").about("Quit this interactive terminal"));
    crate::cli::hide_fleet_options(tree)
}

// ---------------------------------------------------------------------------
// The session.

/// What the session does after a line.
enum Flow {
    Continue(i32),
    Quit,
}

pub struct Session<'a> {
    ctx: Ctx<'a>,
    /// [`shell_command`], built once per session (clap's REPL pattern).
    tree: clap::Command,
}

impl<'a> Session<'a> {
    /// Open the connection (in the light binary this execs knet-libvirt and
    /// never returns). A libvirt failure is reported and the session starts
    /// anyway, as virsh's does: `connect` may fix it.
    fn open(ctx: Ctx<'a>) -> Result<Session<'a>, i32> {
        if let Err(e) = ctx.conn() {
            let is_libvirt = e.chain().any(|c| c.downcast_ref::<crate::libvirt::VirtError>().is_some());
            let code = exit::report(&e);
            if !is_libvirt {
                return Err(code);
            }
        }
        Ok(Session { ctx, tree: shell_command() })
    }

    fn prompt(&self) -> &'static str {
        if self.ctx.opts.readonly {
            "knet > "
        } else {
            "knet # "
        }
    }

    /// Run every command of a line; the status is the last command's.
    fn run_line(&mut self, line: &str) -> Flow {
        let cmds = match split(line) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return Flow::Continue(exit::USAGE);
            }
        };
        let mut code = exit::SUCCESS;
        for words in cmds {
            match self.run_words(words) {
                Flow::Continue(c) => code = c,
                Flow::Quit => return Flow::Quit,
            }
        }
        Flow::Continue(code)
    }

    fn run_words(&mut self, words: Vec<String>) -> Flow {
        match parse(&mut self.tree, &words) {
            Ok(m) => self.run_matches(m),
            Err(code) => Flow::Continue(code),
        }
    }

    fn run_matches(&mut self, m: clap::ArgMatches) -> Flow {
        match m.subcommand() {
            Some(("quit" | "exit", _)) => Flow::Quit,
            Some(("connect", sub)) => {
                // without a name virsh reconnects to the URI in use (cmdConnect keeps ctl->connname)
                let uri = sub.get_one::<String>("name").cloned().or_else(|| match self.ctx.opts.connect.as_slice() {
                    [one] => Some(one.clone()),
                    _ => None,
                });
                // the global -r/--readonly, as virsh's `connect --readonly`
                let ro = sub.get_flag("readonly") || m.get_flag("readonly");
                // Ctrl-C while connecting to a host that never answers ends the attempt, not the session
                let _guard = crate::interrupt::Guard::new();
                let code = match self.ctx.reconnect(uri, ro) {
                    Ok(()) => exit::SUCCESS,
                    Err(e) => exit::report(&e),
                };
                // virsh's blank line after every command, connect's too
                if !self.ctx.quiet() {
                    let _ = crate::output::print("\n");
                }
                Flow::Continue(code)
            }
            _ => match Cli::from_arg_matches(&m) {
                Ok(cli) => Flow::Continue(self.run_cli(m.subcommand_name(), cli)),
                Err(e) => {
                    let _ = e.print();
                    Flow::Continue(e.exit_code())
                }
            },
        }
    }

    /// Run one parsed command on the session's connection, with the line's
    /// own `-q`/`--json`; a line with its own `-c`/`-r` runs on a connection
    /// of its own, leaving the session's as it was.
    fn run_cli(&mut self, name: Option<&str>, cli: Cli) -> i32 {
        let Some(cmd) = cli.command else { return exit::SUCCESS };
        let _guard = crate::interrupt::Guard::new();
        let g = cli.global.resolve();
        if let Some(t) = g.timeout {
            crate::libvirt::set_timeout(t);
        }
        let own_conn = !g.connect.is_empty() || (g.readonly && !self.ctx.opts.readonly);
        if own_conn {
            let ctx = Ctx::new(g, self.ctx.connector());
            return crate::cli::run_command(name, cmd, &ctx);
        }
        self.revive();
        let saved = self.ctx.opts.clone();
        self.ctx.opts.quiet |= g.quiet;
        self.ctx.opts.json |= g.json;
        let code = crate::cli::run_command(name, cmd, &self.ctx);
        self.ctx.opts = saved;
        code
    }

    /// Reopen the session's connection when libvirt has closed it (the
    /// daemon restarted, or stopped answering keepalive probes), before the
    /// next command runs on it, as virsh does (tools/virsh.c,
    /// virshReconnect, with its messages). A failed attempt leaves the dead
    /// connection in place; the next command tries again.
    fn revive(&mut self) {
        if !self.ctx.connected().is_some_and(|c| !c.alive()) {
            return;
        }
        let uri = self.ctx.opts.connect.first().cloned();
        let ro = self.ctx.opts.readonly;
        match self.ctx.reconnect(uri, ro) {
            Ok(()) => eprintln!("error: Reconnected to the hypervisor"),
            Err(e) => {
                eprintln!("error: Failed to reconnect to the hypervisor");
                let e = match e.chain().nth(1).is_some() {
                    // "failed to connect" is said already
                    true => anyhow::anyhow!(e.chain().last().map(|c| c.to_string()).unwrap_or_default()),
                    false => e,
                };
                exit::report(&e);
            }
        }
    }

    /// The interactive loop: line editing, history, completion.
    fn interactive(&mut self) -> i32 {
        let config = Config::builder()
            .completion_type(CompletionType::List)
            .auto_add_history(false)
            .history_ignore_dups(true)
            .and_then(|b| b.history_ignore_space(true).max_history_size(1000))
            .map(|b| b.build());
        let config = config.unwrap_or_default();
        let mut rl: Editor<ShellHelper, DefaultHistory> = match Editor::with_config(config) {
            Ok(rl) => rl,
            Err(e) => {
                eprintln!("error: cannot start the line editor: {e}");
                return exit::FAILURE;
            }
        };
        rl.set_helper(Some(ShellHelper));
        let history = crate::state::history_path();
        if let Some(h) = &history {
            let _ = rl.load_history(h);
        }
        // -q: no banner, as virsh -q
        if !self.ctx.opts.quiet {
            println!("{BANNER}");
        }
        loop {
            let prompt = self.prompt();
            let line = match self.ctx.shared_conn() {
                Some(conn) => crate::complete::with_live_conn(conn, || rl.readline(prompt)),
                None => rl.readline(prompt),
            };
            match line {
                Ok(line) => {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let _ = rl.add_history_entry(line.as_str());
                    if let Some(h) = &history {
                        save_history(rl.history_mut(), h);
                    }
                    if let Flow::Quit = self.run_line(&line) {
                        break;
                    }
                }
                // Ctrl-C on the prompt drops the line being typed, as in bash
                Err(ReadlineError::Interrupted) => continue,
                Err(ReadlineError::Eof) => {
                    println!();
                    break;
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return exit::FAILURE;
                }
            }
        }
        exit::SUCCESS
    }

    /// Commands from a pipe or file, one line at a time, no banner, no prompt.
    /// Ctrl-C stops the command it hits and, off a terminal, the rest of
    /// the input too (exit 130), as it would stop a shell script.
    fn piped(&mut self, input: impl BufRead) -> i32 {
        let mut code = exit::SUCCESS;
        for line in input.lines() {
            let Ok(line) = line else { return exit::FAILURE };
            match self.run_line(&line) {
                Flow::Continue(c) => code = c,
                Flow::Quit => break,
            }
            if crate::interrupt::requested() {
                return crate::interrupt::exit_code();
            }
        }
        // virsh's session ends with a line break of its own, after `quit`
        // as at the end of the input: scripts that read its output see it
        let _ = crate::output::print("\n");
        code
    }
}

fn save_history(h: &mut DefaultHistory, path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        let _ = crate::state::create_private_dir(dir);
    }
    let _ = h.save(path);
}

/// One command's words through virsh's grammar (src/virsh_args.rs), then
/// clap; `Err`: reported already, the exit code.
fn parse(tree: &mut clap::Command, words: &[String]) -> Result<clap::ArgMatches, i32> {
    // virsh's quit and exit take nothing, refused in virsh's words
    if let [cmd, rest @ ..] = words {
        let help = rest.iter().take_while(|w| *w != "--").any(|w| w == "--help" || w == "-h");
        if (cmd == "quit" || cmd == "exit") && !help {
            let mut data_only = false;
            for w in rest {
                let line = match w.strip_prefix("--") {
                    Some("") if !data_only => {
                        data_only = true;
                        continue;
                    }
                    Some(opt) if !data_only && opt.starts_with(|c: char| c.is_ascii_alphanumeric()) => {
                        format!("command '{cmd}' doesn't support option --{}", opt.split('=').next().unwrap_or_default())
                    }
                    _ => format!("unexpected data '{w}'"),
                };
                return Err(crate::virsh_args::report(&[line]));
            }
        }
    }
    let words = match crate::virsh_args::normalize(words) {
        Ok(crate::virsh_args::Parsed::Words(w)) => w,
        Ok(crate::virsh_args::Parsed::AsTyped) => words.to_vec(),
        Err(lines) => return Err(crate::virsh_args::report(&lines)),
    };
    tree.try_get_matches_from_mut(std::iter::once("knet").chain(words.iter().map(String::as_str)))
        .map_err(|e| crate::virsh_args::clap_error(&e))
}

/// `knet` with no command, or `knet shell`: interactive on a terminal,
/// line by line otherwise.
pub fn run(ctx: Ctx) -> i32 {
    let mut s = match Session::open(ctx) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        s.interactive()
    } else {
        s.piped(stdin.lock())
    }
}

/// `knet [OPTIONS] "cmd1; cmd2"`: when clap rejects the command word and it
/// is the last argument, it is a command sequence
/// (virsh's rule for a single non-option argument, tools/vsh.c
/// vshParseArgv). Every command is parsed before any runs, as in virsh, so a
/// typo in the third command does not leave the first two done. Returns
/// `None` when `err` is an ordinary usage error.
pub fn try_sequence(err: &clap::Error, connector: &dyn crate::libvirt::Connector) -> Option<i32> {
    if err.kind() != clap::error::ErrorKind::InvalidSubcommand {
        return None;
    }
    let mut argv: Vec<String> = std::env::args().collect();
    let script = argv.last()?.clone();
    // one word too: the shell's own commands (`quit`, `connect`) work
    // there as in virsh, and anything else is the same unknown command
    if argv.len() < 2 {
        return None;
    }
    argv.pop();
    let cli = Cli::try_parse_from(&argv).ok()?;
    if cli.command.is_some() {
        return None;
    }
    let cmds = match split(&script) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Some(exit::USAGE);
        }
    };
    let mut tree = shell_command();
    let mut parsed = Vec::new();
    for words in &cmds {
        match parse(&mut tree, words) {
            Ok(m) => parsed.push(m),
            Err(code) => return Some(code),
        }
    }
    let mut s = match Session::open(Ctx::new(cli.global.resolve(), connector)) {
        Ok(s) => s,
        Err(code) => return Some(code),
    };
    let mut code = exit::SUCCESS;
    for m in parsed {
        match s.run_matches(m) {
            Flow::Continue(c) => code = c,
            Flow::Quit => break,
        }
        if crate::interrupt::requested() {
            return Some(crate::interrupt::exit_code());
        }
    }
    Some(code)
}

// ---------------------------------------------------------------------------
// Completion in the line editor.

struct ShellHelper;

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _: &rustyline::Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let lexed = lex(&line[..pos]);
        let mut words = lexed.commands.into_iter().last().unwrap_or_default();
        let (start, current) = match (lexed.ends_in_word, words.pop()) {
            (true, Some(w)) => (w.start, w.text),
            (_, last) => {
                words.extend(last);
                (pos, String::new())
            }
        };
        let mut args: Vec<String> = std::iter::once("knet".to_string()).chain(words.into_iter().map(|w| w.text)).collect();
        crate::complete::engine::set_line(args.clone());
        args.push(current);
        let index = args.len() - 1;
        let cands = crate::complete::engine::candidates(&mut shell_command(), args.into_iter().map(Into::into).collect(), index);
        let pairs = cands
            .into_iter()
            .map(|c| {
                let v = c.get_value().to_string_lossy().into_owned();
                let mut replacement = quote(&v);
                if !v.ends_with(['=', '/']) {
                    replacement.push(' ');
                }
                Pair { display: v, replacement }
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}
impl Highlighter for ShellHelper {}
impl Validator for ShellHelper {}
impl Helper for ShellHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_tree_is_consistent() {
        shell_command().debug_assert();
    }

    #[test]
    fn splits_like_virsh() {
        assert_eq!(split("net-list --all; net-info default").unwrap(), vec![vec!["net-list", "--all"], vec!["net-info", "default"]]);
        assert_eq!(split(r#"a 'b c' "d \"e\"" f\ g"#).unwrap(), vec![vec!["a", "b c", "d \"e\"", "f g"]]);
        assert_eq!(split("a # comment; b").unwrap(), vec![vec!["a"]]);
        assert_eq!(split("a x#y").unwrap(), vec![vec!["a", "x#y"]]);
        assert_eq!(split(" ; ;").unwrap(), Vec::<Vec<String>>::new());
        assert!(split("a \"b").is_err());
        // virsh's lexer never checks the single quote; backslash-newline between words is nothing
        assert_eq!(split("a 'b c").unwrap(), vec![vec!["a", "b c"]]);
        assert_eq!(split("a \\\n b").unwrap(), vec![vec!["a", "b"]]);
        assert!(split("a b\\").is_err());
    }

    #[test]
    fn quoted_words_split_back() {
        for w in ["plain", "a b", "it's", "x;y", ""] {
            assert_eq!(split(&format!("cmd {}", quote(w))).unwrap(), vec![vec!["cmd".to_string(), w.to_string()]]);
        }
    }
}
