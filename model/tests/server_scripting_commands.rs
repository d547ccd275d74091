//! EVAL / EVALSHA / SCRIPT conformance, the script as a command: the script cache (EVALSHA,
//! SCRIPT LOAD / EXISTS / FLUSH and their errors), the commands a script may not call, and what
//! a script's writes do to another connection's WATCH and to the keyspace (seed 004's script).
//! Every expected reply (SHA1s and error texts included) was copied from a real Redis 7.0.15
//! (`redis-cli --no-raw eval "…" 0`).

mod common;
use common::*;
use model::scripting::sha1_hex;

const SEED: &str = "local current = tonumber(redis.call('get', KEYS[1])) local new_value = current + ARGV[1] redis.call('set', KEYS[1], new_value) return new_value";

// ---------------------------------------------------------------- EVALSHA / SCRIPT

#[test]
fn evalsha_before_and_after_script_load() {
    let mut r = Redis::new();
    let s = "return {KEYS[1], ARGV[1], #KEYS, #ARGV}";
    let sha = "c409b22118a2ba735eedfdba813c9a5a0dfebc85";
    assert_eq!(sha1_hex(s), sha);
    let noscript = err("NOSCRIPT No matching script. Please use EVAL.");
    r.expect(A, &["EVALSHA", sha, "0"], noscript.clone());
    r.expect(A, &["EVALSHA", &sha.to_uppercase(), "0"], noscript.clone());
    r.expect(A, &["SCRIPT", "EXISTS", sha], arr(vec![int(0)]));
    r.expect(A, &["SCRIPT", "LOAD", s], bulk(sha));
    r.expect(
        A,
        &["EVALSHA", sha, "1", "k", "a"],
        arr(vec![bulk("k"), bulk("a"), int(1), int(1)]),
    );
    r.expect(A, &["EVALSHA", &sha.to_uppercase(), "0"], arr(vec![]));
    r.expect(
        A,
        &["SCRIPT", "EXISTS", sha, &sha.to_uppercase(), "abc"],
        arr(vec![int(1), int(1), int(0)]),
    );
    r.expect(A, &["SCRIPT", "FLUSH"], ok());
    r.expect(A, &["EVALSHA", sha, "0"], noscript);
}

#[test]
fn evalsha_after_eval() {
    let mut r = Redis::new();
    let s = "return {KEYS[1], ARGV[1], #KEYS, #ARGV}";
    let sha = "c409b22118a2ba735eedfdba813c9a5a0dfebc85";
    r.expect(
        A,
        &["EVAL", s, "2", "k1", "k2", "a1"],
        arr(vec![bulk("k1"), bulk("a1"), int(2), int(1)]),
    );
    r.expect(
        A,
        &["EVALSHA", sha, "1", "x", "y", "z"],
        arr(vec![bulk("x"), bulk("y"), int(1), int(2)]),
    );
    // The cache is server-wide: another connection sees it.
    r.expect(B, &["SCRIPT", "EXISTS", sha], arr(vec![int(1)]));
    // A script that fails at run time is still cached.
    r.expect(A, &["SET", "s", "str"], ok());
    let failing = "return redis.call('incr','s')";
    assert!(eval(&mut r, failing).is_error());
    r.expect(
        A,
        &[
            "SCRIPT",
            "EXISTS",
            "c243b9f46db13ba8f69da41b45a77708832babed",
        ],
        arr(vec![int(1)]),
    );
}

#[test]
fn noscript_and_numkeys_errors() {
    let mut r = Redis::new();
    let s = "return {KEYS[1], ARGV[1], #KEYS, #ARGV}";
    let sha = "c409b22118a2ba735eedfdba813c9a5a0dfebc85";
    let noscript = err("NOSCRIPT No matching script. Please use EVAL.");
    r.expect(A, &["EVALSHA", "nosuch", "0"], noscript.clone());
    // A name that is not 40 characters long is refused before numkeys is read.
    r.expect(A, &["EVALSHA", "nosuch", "abc"], noscript.clone());
    r.expect(A, &["EVALSHA", "abc", "5"], noscript);
    let zeros = "0000000000000000000000000000000000000000";
    r.expect(A, &["EVALSHA", zeros, "abc"], err(NOT_INT));
    let greater = err("ERR Number of keys can't be greater than number of args");
    let negative = err("ERR Number of keys can't be negative");
    r.expect(A, &["EVALSHA", zeros, "5"], greater.clone());
    r.expect(A, &["EVALSHA", zeros, "-1"], negative.clone());
    r.expect(A, &["EVAL", s, "-1"], negative);
    r.expect(A, &["EVAL", s, "3", "a", "b"], greater.clone());
    r.expect(A, &["EVAL", s, "abc"], err(NOT_INT));
    r.expect(A, &["EVAL", s, "1.5", "a"], err(NOT_INT));
    r.expect(A, &["EVAL", "return 1", "01"], err(NOT_INT));
    r.expect(A, &["SCRIPT", "LOAD", s], bulk(sha));
    r.expect(A, &["EVALSHA", sha, "5"], greater);
}

#[test]
fn script_subcommand_errors() {
    let mut r = Redis::new();
    r.expect(
        A,
        &["SCRIPT", "LOAD"],
        err("ERR wrong number of arguments for 'script|load' command"),
    );
    r.expect(
        A,
        &["SCRIPT", "LOAD", "a", "b"],
        err("ERR wrong number of arguments for 'script|load' command"),
    );
    r.expect(
        A,
        &["SCRIPT", "EXISTS"],
        err("ERR wrong number of arguments for 'script|exists' command"),
    );
    r.expect(
        A,
        &["SCRIPT", "FOO"],
        err("ERR unknown subcommand 'FOO'. Try SCRIPT HELP."),
    );
    r.expect(
        A,
        &["SCRIPT", "foo", "bar"],
        err("ERR unknown subcommand 'foo'. Try SCRIPT HELP."),
    );
    r.expect(A, &["SCRIPT", "FLUSH", "async"], ok());
    r.expect(
        A,
        &["SCRIPT", "FLUSH", "foo"],
        err("ERR SCRIPT FLUSH only support SYNC|ASYNC option"),
    );
    r.expect(
        A,
        &["SCRIPT", "FLUSH", "sync", "extra"],
        err("ERR SCRIPT FLUSH only support SYNC|ASYNC option"),
    );
    r.expect(
        A,
        &["SCRIPT", "EXISTS", "a", "b"],
        arr(vec![int(0), int(0)]),
    );
}

// ---------------------------------------------------------------- commands refused in scripts

#[test]
fn blocking_and_transaction_commands_are_refused() {
    let mut r = Redis::new();
    r.expect(A, &["RPUSH", "l", "a", "b"], int(2));
    let refused = err("ERR This Redis command is not allowed from script");
    expect_eval(&mut r, "return redis.pcall('blpop','l',0)", refused.clone());
    // Refused before the timeout is parsed; arity is checked first.
    expect_eval(
        &mut r,
        "return redis.pcall('blpop','l','abc')",
        refused.clone(),
    );
    expect_eval(
        &mut r,
        "return redis.pcall('blpop','l')",
        err("ERR Wrong number of args calling Redis command from script"),
    );
    for cmd in [
        "'evalsha','x', 0",
        "'script','load','return 1'",
        "'script','exists','x'",
        "'unwatch'",
        "'discard'",
    ] {
        expect_eval(
            &mut r,
            &format!("return redis.pcall({cmd})"),
            refused.clone(),
        );
    }
    expect_eval(
        &mut r,
        "return redis.call('blpop','l',0)",
        err("ERR This Redis command is not allowed from script script: 121bfe1768bf66b7a31f0b044f99b2ef97079112, on @user_script:1."),
    );
    expect_eval(
        &mut r,
        "return redis.call('multi')",
        err("ERR This Redis command is not allowed from script script: c329a1a294be6bf95b44144f7502610661ae925a, on @user_script:1."),
    );
    expect_eval(
        &mut r,
        "return redis.call('eval','return 1','0')",
        err("ERR This Redis command is not allowed from script script: 1e5046f3a9119d3dc9cf5824428b6d9fedd305d2, on @user_script:1."),
    );
    expect_eval(
        &mut r,
        "return redis.call('watch','k')",
        err("ERR This Redis command is not allowed from script script: 1ff9e82229298bc0f220076655825af1b563e291, on @user_script:1."),
    );
    expect_eval(
        &mut r,
        "return redis.call('exec')",
        err("ERR This Redis command is not allowed from script script: cfd06730c41ba24d30327b6d49d1ebf96a001298, on @user_script:1."),
    );
    // Nothing was popped.
    r.expect(A, &["LRANGE", "l", "0", "-1"], bulks(&["a", "b"]));
    assert!(!r.server.is_blocked(A));
}

// ---------------------------------------------------------------- scripts and WATCH

#[test]
fn a_scripts_write_dirties_another_connections_watch() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "5"], ok());
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(B, &["EVAL", SEED, "1", "k", "3"], int(8));
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["GET", "k"], status("QUEUED"));
    r.expect(A, &["EXEC"], nil());
}

#[test]
fn a_scripts_reads_and_failed_writes_do_not_dirty_watch() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "8.5"], ok());
    r.expect(A, &["WATCH", "k"], ok());
    r.expect(
        B,
        &["EVAL", "return redis.call('get', KEYS[1])", "1", "k"],
        bulk("8.5"),
    );
    r.expect(
        B,
        &["EVAL", "return redis.pcall('incr', KEYS[1])", "1", "k"],
        err(NOT_INT),
    );
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["GET", "k"], status("QUEUED"));
    r.expect(A, &["EXEC"], bulks(&["8.5"]));
}

#[test]
fn seed_script() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "5"], ok());
    r.expect(A, &["EVAL", SEED, "1", "k", "3"], int(8));
    r.expect(A, &["GET", "k"], bulk("8"));
    // new_value is 8.5: stored with %.17g, returned truncated.
    r.expect(A, &["EVAL", SEED, "1", "k", "0.5"], int(8));
    r.expect(A, &["GET", "k"], bulk("8.5"));
    r.expect(
        A,
        &["EVAL", SEED, "1", "nokey", "1"],
        err("ERR user_script:1: attempt to perform arithmetic on local 'current' (a nil value) script: dd6f2d92ffdd65c770d8655d2923cca9ae5e1830, on @user_script:1."),
    );
    r.expect(A, &["EXISTS", "nokey"], int(0));
    // The script is cached by its first EVAL.
    r.expect(
        A,
        &[
            "EVALSHA",
            "dd6f2d92ffdd65c770d8655d2923cca9ae5e1830",
            "1",
            "k",
            "1.5",
        ],
        int(10),
    );
    r.expect(A, &["GET", "k"], bulk("10"));
}

#[test]
fn a_failing_redis_call_keeps_earlier_writes() {
    // Scripts are not transactions: what ran before the error stays.
    let mut r = Redis::new();
    r.expect(A, &["SET", "s", "str"], ok());
    let reply = r.call(
        A,
        &[
            "EVAL",
            "redis.call('set','a','1') redis.call('incr','s') redis.call('set','b','2')",
            "0",
        ],
    );
    assert!(reply.is_error(), "{reply:?}");
    r.expect(A, &["GET", "a"], bulk("1"));
    r.expect(A, &["GET", "b"], nil());
}

#[test]
fn incrby_with_a_fractional_lua_number_fails() {
    let mut r = Redis::new();
    expect_eval(
        &mut r,
        "return redis.call('incrby','n', 2.7)",
        err("ERR value is not an integer or out of range script: 98f5e13145f997748b81a029c907949435c053b4, on @user_script:1."),
    );
}
