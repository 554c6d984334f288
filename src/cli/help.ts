import { out } from './print.ts'

export const COMMANDS = ['init', 'serve', 'dev', 'send', 'verify', 'replay', 'chat', 'outbox', 'stream'] as const
export type CommandName = typeof COMMANDS[number]

const TARGET = `  --url URL         the callback URL (default http://127.0.0.1:$PORT$CALLBACK_PATH, from the environment)
  --secret SECRET   the app secret to sign with (default $WEIBO_APP_SECRET; --secret= sends unsigned)`

const EXIT_CODES = `Exit codes:
  0  done: the push was answered (passive reply or blank), the handshake echoed, or chat ended
  1  failed: push rejected or unanswered, handshake failed, chat's bot did not start, outbox/stream: Redis down
  2  usage: unknown command or option, missing or bad argument, invalid environment (outbox, stream: REDIS_URL unset),
     unreadable or non-JSON replay file; nothing was sent`

const OVERALL = `weibo-fanbot: a local Weibo for your fan-service bot

Usage: weibo-fanbot <command> [options]

Commands:
  init <dir>           write a new bot project: handlers, tests, .env.example, Dockerfile (--from PATH: a checkout or .tgz)
  serve                run the server on ./handlers (or $HANDLERS_DIR), configured from the environment and ./.env
  dev                  the same, restarted on every change (HANDLERS_DIR, new files included, and .env); pretty logs
  send <type> [text]   send one signed push (text, position, voice, image, event, mention) and show the answer
  verify               the URL handshake Weibo makes when the callback URL is bound
  replay <file.json>   send a saved push again, byte for byte, with a fresh signature
  chat                 talk to the bot as a fan; passive and late replies, through a fake Weibo API
  outbox list|retry    with REDIS_URL: list the late replies that failed for good, and queue them again
  stream failed|retry  with REDIS_URL: list the push stream records whose handler failed for good, and replay them

Options:
  -h, --help           this help; "weibo-fanbot <command> --help" for a command's own
  --version            the version

Defaults come from the same environment as the server (WEIBO_APP_SECRET, PORT, CALLBACK_PATH, ...), and from
./.env when there is one (a variable already set in the environment wins).

${EXIT_CODES}`

const HELP: Record<CommandName, string> = {
  init: `Usage: weibo-fanbot init <dir> [--from PATH]

Writes a new bot project into <dir> (new or empty), with weibo-fanbot as its dependency:
  package.json      npm test (the bot's own tests), npm run dev, npm start (weibo-fanbot serve)
  handlers/         two example handlers: price.ts (a keyword) and welcome.ts (a new follower)
  test/             a test of each with the test kit (weibo-fanbot/testing)
  tsconfig.json, .env.example, .gitignore, Dockerfile, .dockerignore, compose.yaml, README.md

  --from PATH       where weibo-fanbot comes from: a checkout (packed with npm pack) or a .tgz made by npm pack;
                    either lands in <dir>/vendor/ and the project depends on it there (Docker builds too).
                    Default: the npm registry, at this version.
  -h, --help        this help

Then: cd <dir> && npm install && npm test.

${EXIT_CODES}`,

  serve: `Usage: weibo-fanbot serve

Runs the server on the handlers of the current project: HANDLERS_DIR (default ./handlers), every setting from the
environment and from ./.env (a variable already set wins). Stops gracefully on SIGTERM or SIGINT. The same server as
\`npm start\` in the weibo-fanbot repository; exit code 1 when it cannot start (bad configuration, invalid handlers).

  -h, --help        this help`,

  dev: `Usage: weibo-fanbot dev

The server as serve runs it, restarted whenever a file changes: the modules it imports, every file under
HANDLERS_DIR (files created later too) and ./.env. LOG_FORMAT defaults to auto: one pretty line per push on a
terminal (pretty logs need the dev dependency pino-pretty).

  -h, --help        this help`,

  send: `Usage: weibo-fanbot send <type> [text] [options]

Sends one push as Weibo does: signed, a fresh timestamp and nonce per try, 5 s wait, up to 3 tries. Prints the
push, each try, and the answer: the passive reply decoded, or "blank" (nothing now; a late reply goes through
the Weibo API the server calls: see "weibo-fanbot chat").

  <type>            text, position, voice, image, event or mention
  [text]            the fan's words (default 你好 for text; Weibo's own text for the others)
  --subtype NAME    event: follow (default), unfollow, subscribe, unsubscribe, scan, scan_follow, click, view
                    mention: status (default), comment
  --key KEY         menu key (click), QR scene (scan, scan_follow), URL (view), or the mention's status id
  --ticket TICKET   QR ticket (scan, scan_follow)
  --lat N --lon N   position coordinates (default 39.982525, 116.308586)
  --sender ID       the fan's uid (default 2489518277); up to 20 digits
  --receiver ID     the bot account's uid (default 1902538057)
${TARGET}
  --json            print the delivery result (outcome, tries, reply) as JSON
  -h, --help        this help

Examples:
  weibo-fanbot send text 你好
  weibo-fanbot send event --subtype click --key MENU_MEMBER
  weibo-fanbot send position --lat 31.2304 --lon 121.4737

${EXIT_CODES}`,

  verify: `Usage: weibo-fanbot verify [options]

Makes the GET handshake Weibo makes when the account binds the callback URL (signed, with echostr) and prints
OK, or what is wrong, in one line.

${TARGET}
  -h, --help        this help

${EXIT_CODES}`,

  replay: `Usage: weibo-fanbot replay <file.json> [options]

Sends a saved push (say, from a bug report) again with a fresh signature. The file goes out byte for byte, so
64-bit ids keep every digit. The output is the same as send's.

${TARGET}
  --json            print the delivery result as JSON
  -h, --help        this help

${EXIT_CODES}`,

  chat: `Usage: weibo-fanbot chat [options]

Starts a fake Weibo API and lets you type as a fan. Without --url it also starts the bot in this process (handlers
from $HANDLERS_DIR or --handlers, configured from the environment, every Weibo host pointed at the fake API, and
holding the fake's commercial push stream). With --url it talks to your running server, and prints the
WEIBO_* variables it needs for late replies, direct messages and downloads, and to hold the push stream.

Replies are marked: "bot (passive)" came in the answer to the push; "bot (late, via messages/reply)" came later
through the API; "bot (active, via direct_messages/send)" is a direct message; refusals of the fake API (reply
window, quota, a direct message to a fan who does not follow) are shown too. A handler of the bot in this
process that fails is shown inline: which handler, the error code and the reason, in one line.

Type a line to send a text message, or:
  /follow  /unfollow  /subscribe  /unsubscribe
  /click KEY   /view URL   /scan KEY   /image   /voice
  /position LAT LON   /mention TEXT   /help   /quit (or Ctrl-D)
  /status TEXT   /comment TEXT   post a weibo or a comment on the push stream, for status and comment handlers
  /account [UID]  write to another of the bot's accounts (with --account), or list them

  --url URL         a running server's callback URL (default: start the bot in this process)
  --secret SECRET   the app secret (default $WEIBO_APP_SECRET; in-process, a random one if unset)
  --api-port PORT   port of the fake Weibo API (default: a free one; fix it to keep the printed env stable)
  --handlers DIR    in-process bot: the handlers folder (default $HANDLERS_DIR, else handlers)
  --log FILE        in-process bot: write its log lines to FILE (default: no logs, to keep the chat readable)
  --account UID     play this account of the bot (repeat it for several; the fan writes to the first, /account
                    switches); the fake API gives each the token weibo-fanbot-chat-UID. In-process, the default
                    is the accounts of $WEIBO_ACCOUNTS_FILE, played with the fake's tokens
  -h, --help        this help

After /status or /comment, the bot in this process handles the record before the next line is read. On end of
input, chat waits up to 5 s for late replies and direct messages still coming, then exits 0.

${EXIT_CODES}`,

  outbox: `Usage: weibo-fanbot outbox list [--limit N] [--json]
       weibo-fanbot outbox retry <id…> | --all

With REDIS_URL, late replies (those that missed the 5-second window) go through a durable outbox in Redis, and
every replica's worker sends them, retrying transient failures. A reply Weibo refuses for good (expired token,
closed reply window…) or that runs out of OUTBOX_ATTEMPTS lands in the failed set, kept 7 days.

  list              the queue's counts, then the failed late replies, newest first: id, when, fan, handler,
                    and why (our WEIBO_ERR_* code, Weibo's error_code and what it means)
    --limit N       how many to show (default 20, at most 10000)
    --json          print { counts, failed } as JSON
  retry <id…>       queue these failed late replies again, with a fresh set of attempts
    --all           queue every failed late reply again
  -h, --help        this help

Redis and the key prefix come from REDIS_URL and REDIS_KEY_PREFIX, as the servers read them. Fix the cause
first (bind the callback URL again for a new token, wait for the fan to write again…): a retry is sent at once.
retry exits 1 when an id given is not in the failed set (the others are still retried).

${EXIT_CODES}`,

  stream: `Usage: weibo-fanbot stream failed [--limit N] [--json]
       weibo-fanbot stream retry <id…> | --all

A push stream record whose handler fails transiently (HANDLER_TIMEOUT_MS, a retryable Weibo error, a network
failure) runs again, up to WEIBO_PUSH_HANDLER_ATTEMPTS times; one that fails for good (a thrown error, an invalid
reply, or the last attempt) lands in the dead-letter list, kept WEIBO_PUSH_DEAD_LETTER_TTL_MS (7 days).

  failed            the dead-lettered records, newest first: record id, when, attempts, handler, type,
                    and why (our WEIBO_ERR_* code and the error's message)
    --limit N       how many to show (default 20, at most 10000)
    --json          print { total, failed } as JSON (each entry with the whole record)
  retry <id…>       replay these records: a running server holding the stream takes them within seconds
                    and runs their handler again, with a fresh set of attempts
    --all           replay every dead-lettered record
  -h, --help        this help

Redis and the key prefix come from REDIS_URL and REDIS_KEY_PREFIX, as the servers read them; without Redis the
list lives only in the server's memory. retry exits 1 when an id given is not in the list (the others are
still replayed).

${EXIT_CODES}`
}

export function printHelp (command?: CommandName): void {
  out(command === undefined ? OVERALL : HELP[command])
}
