//! Cluster mode (`Server::on_cluster`): CROSSSLOT for commands, transactions and scripts.
//! Every expected reply was read from Redis 7.0.15 started with `--cluster-enabled yes` and
//! `CLUSTER ADDSLOTSRANGE 0 16383` (one node, every slot), through redis-cli. `a`, `b` and
//! `d` lie in three different slots; `a` and `{a}b` share one.

mod common;

use common::{Redis, A, B, EXECABORT};
use model::server::cluster::{CROSSSLOT, SCRIPT_CROSSSLOT};
use model::{Profile, Reply, Server};

fn cluster() -> Redis {
    Redis {
        server: Server::new(Profile::Redis70).on_cluster(),
        now: 0,
    }
}

fn ok() -> Reply {
    Reply::ok()
}

fn queued() -> Reply {
    Reply::Status("QUEUED".into())
}

fn cross() -> Reply {
    Reply::err(CROSSSLOT)
}

#[test]
fn multi_key_commands_across_slots_are_refused() {
    let mut r = cluster();
    for cmd in [
        &["MSET", "a", "1", "b", "2"][..],
        &["MGET", "a", "b"],
        &["DEL", "a", "b"],
        &["EXISTS", "a", "b"],
        &["RENAME", "a", "b"],
        &["COPY", "a", "b"],
        &["WATCH", "a", "b"],
        &["BLPOP", "a", "b", "x"],
        &["ZUNIONSTORE", "d", "1", "a", "b"],
        &["EVAL", "return 1", "2", "a", "b"],
        &[
            "EVALSHA",
            "ffffffffffffffffffffffffffffffffffffffff",
            "2",
            "a",
            "b",
        ],
        // The slot check comes before MSET's own pair count check.
        &["MSET", "a", "1", "b"],
    ] {
        r.expect(A, cmd, cross());
    }
    assert!(r.server.keys.is_empty(), "nothing ran");
    // Same key twice, or keys sharing a hash tag: one slot.
    r.expect(A, &["MSET", "a", "1", "a", "2"], ok());
    r.expect(A, &["MSET", "a", "1", "{a}b", "2"], ok());
    r.expect(
        A,
        &["MGET", "a", "{a}b"],
        Reply::Array(vec![Reply::bulk("1"), Reply::bulk("2")]),
    );
    r.expect(A, &["RENAME", "a", "a"], ok());
    r.expect(A, &["ZUNIONSTORE", "d", "1", "d"], Reply::Int(0));
}

#[test]
fn unknown_commands_arity_and_bad_key_counts_come_first() {
    let mut r = cluster();
    r.expect(
        A,
        &["FOO", "a", "b"],
        Reply::err("ERR unknown command 'FOO', with args beginning with: 'a' 'b' "),
    );
    r.expect(
        A,
        &["SET", "a"],
        Reply::err("ERR wrong number of arguments for 'set' command"),
    );
    // A numkeys Redis's key specs cannot use gives no keys: the command fails on its own.
    r.expect(
        A,
        &["ZUNIONSTORE", "d", "x", "a", "b"],
        Reply::err(common::NOT_INT),
    );
    r.expect(
        A,
        &["ZUNIONSTORE", "d", "5", "a", "b"],
        Reply::err(common::SYNTAX),
    );
    r.expect(
        A,
        &["ZUNIONSTORE", "d", "0", "a", "b"],
        Reply::err("ERR at least 1 input key is needed for 'zunionstore' command"),
    );
    r.expect(
        A,
        &["EVAL", "return 1", "5", "a", "b"],
        Reply::err("ERR Number of keys can't be greater than number of args"),
    );
    r.expect(
        A,
        &["EVAL", "return 1", "-1", "a", "b"],
        Reply::err("ERR Number of keys can't be negative"),
    );
}

#[test]
fn in_multi_a_cross_slot_command_dooms_the_transaction() {
    let mut r = cluster();
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["MSET", "a", "1", "b", "2"], cross());
    r.expect(A, &["SET", "a", "1"], queued());
    r.expect(A, &["EXEC"], Reply::err(EXECABORT));
    // WATCH of two slots inside MULTI too; of one slot it is the usual non-dooming refusal.
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["WATCH", "a", "b"], cross());
    r.expect(A, &["SET", "a", "3"], queued());
    r.expect(A, &["EXEC"], Reply::err(EXECABORT));
    r.expect(A, &["MULTI"], ok());
    r.expect(
        A,
        &["WATCH", "a"],
        Reply::err("ERR WATCH inside MULTI is not allowed"),
    );
    r.expect(A, &["SET", "a", "3"], queued());
    r.expect(A, &["EXEC"], Reply::Array(vec![ok()]));
}

#[test]
fn exec_checks_the_queue_as_a_whole() {
    let mut r = cluster();
    r.expect(A, &["SET", "a", "0"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "a", "1"], queued());
    r.expect(A, &["SET", "b", "1"], queued());
    r.expect(A, &["EXEC"], cross());
    r.expect(A, &["GET", "a"], Reply::bulk("0"));
    r.expect(A, &["EXEC"], Reply::err("ERR EXEC without MULTI"));
    // A script's declared keys count too.
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "a", "1"], queued());
    r.expect(A, &["EVAL", "return 1", "1", "b"], queued());
    r.expect(A, &["EXEC"], cross());
    // Keyless commands never count.
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["PING"], queued());
    r.expect(A, &["SET", "a", "1"], queued());
    r.expect(
        A,
        &["EXEC"],
        Reply::Array(vec![Reply::Status("PONG".into()), ok()]),
    );
}

#[test]
fn the_check_at_exec_sees_only_what_was_stored() {
    // Queued before an unknown command doomed it: stored, so EXEC answers CROSSSLOT.
    let mut r = cluster();
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "a", "1"], queued());
    r.expect(A, &["SET", "b", "1"], queued());
    r.call(A, &["FOO"]);
    r.expect(A, &["EXEC"], cross());
    // Queued after it: not stored, so EXECABORT.
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "a", "1"], queued());
    r.call(A, &["FOO"]);
    r.expect(A, &["SET", "b", "1"], queued());
    r.expect(A, &["EXEC"], Reply::err(EXECABORT));
    // Queued after a WATCHed key changed: not stored, so EXEC is the plain nil.
    r.expect(A, &["WATCH", "a"], ok());
    r.expect(A, &["SET", "a", "9"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "a", "1"], queued());
    r.expect(A, &["SET", "b", "1"], queued());
    r.expect(A, &["EXEC"], Reply::Nil);
    r.expect(A, &["GET", "a"], Reply::bulk("9"));
    // Queued before another client changed the WATCHed key: stored, so CROSSSLOT, and the
    // WATCH is gone with the transaction.
    r.expect(A, &["WATCH", "a"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "a", "1"], queued());
    r.expect(A, &["SET", "b", "1"], queued());
    r.expect(B, &["SET", "a", "5"], ok());
    r.expect(A, &["EXEC"], cross());
    assert!(r.server.conn(A).is_none(), "{:?}", r.server.conn(A));
}

#[test]
fn separate_watches_are_not_checked() {
    let mut r = cluster();
    r.expect(A, &["WATCH", "a"], ok());
    r.expect(A, &["WATCH", "b"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "a", "2"], queued());
    r.expect(A, &["EXEC"], Reply::Array(vec![ok()]));
}

#[test]
fn scripts_check_each_call_on_its_own() {
    let mut r = cluster();
    r.expect(A, &["SET", "a", "1"], ok());
    // An undeclared key in another slot than the declared one: 7.0 lets it through.
    r.expect(
        A,
        &["EVAL", "return redis.call('get','b')", "1", "a"],
        Reply::Nil,
    );
    r.expect(
        A,
        &[
            "EVAL",
            "redis.call('set','a','1') return redis.call('get','b')",
            "0",
        ],
        Reply::Nil,
    );
    // One call across slots: refused, with the location when redis.call raises it.
    r.expect(
        A,
        &["EVAL", "return redis.pcall('mget','a','b')", "0"],
        Reply::err(SCRIPT_CROSSSLOT),
    );
    r.expect(
        A,
        &["EVAL", "return redis.pcall('rename','a','b')", "0"],
        Reply::err(SCRIPT_CROSSSLOT),
    );
    r.expect(
        A,
        &["EVAL", "return redis.call('mset','a','1','b','2')", "1", "a"],
        Reply::err(format!(
            "{SCRIPT_CROSSSLOT} script: 3ae1623351116e32874700e26a911fe1710524bb, on @user_script:1."
        )),
    );
}

#[test]
fn cluster_keyslot() {
    let mut r = cluster();
    r.expect(A, &["CLUSTER", "KEYSLOT", "foo"], Reply::Int(12182));
    r.expect(A, &["cluster", "keyslot", "{sku123}"], Reply::Int(5949));
    r.expect(A, &["CLUSTER", "KEYSLOT", ""], Reply::Int(0));
    let mut plain = Redis::new();
    plain.expect(
        A,
        &["CLUSTER", "KEYSLOT", "foo"],
        Reply::err("ERR This instance has cluster support disabled"),
    );
}

#[test]
fn without_cluster_mode_nothing_changes() {
    let mut r = Redis::new();
    r.expect(A, &["MSET", "a", "1", "b", "2"], ok());
    r.expect(A, &["MULTI"], ok());
    r.expect(A, &["SET", "a", "1"], queued());
    r.expect(A, &["SET", "b", "1"], queued());
    r.expect(A, &["EXEC"], Reply::Array(vec![ok(), ok()]));
}
