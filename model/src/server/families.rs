//! The dispatch and arity tables of the hash, sorted-set, multi-key, keyspace-walking, list
//! and pub/sub commands added to the first server model (kept apart from `mod.rs`'s table so
//! each family stays in its own file).

use super::{zranges, ConnId, Context, Server};
use crate::reply::Reply;

/// Arity as in Redis 7.0's command table (positive = exact, negative = at least).
pub(super) fn arity(name: &str) -> Option<i32> {
    Some(match name {
        "HGET" | "HEXISTS" | "HSTRLEN" => 3,
        "HLEN" | "HGETALL" | "ZCARD" | "KEYS" => 2,
        "HSET" | "HMSET" => -4,
        "HMGET" | "HDEL" => -3,
        "HINCRBY" | "HSETNX" => 4,
        "ZADD" => -4,
        "ZREM" => -3,
        "ZSCORE" => 3,
        "ZRANK" | "ZREVRANK" => 3,
        "ZCOUNT" | "ZINCRBY" | "ZREMRANGEBYSCORE" | "ZREMRANGEBYRANK" => 4,
        "ZRANGE" | "ZRANGEBYSCORE" | "ZRANGEBYLEX" => -4,
        "ZPOPMIN" => -2,
        "ZUNIONSTORE" | "ZINTERSTORE" => -4,
        "MSET" | "MSETNX" => -3,
        "MGET" => -2,
        "RENAME" | "RENAMENX" => 3,
        "COPY" => -3,
        "EXPIREAT" | "PEXPIREAT" => -3,
        "SCAN" => -2,
        "WAIT" => 3,
        "LINDEX" | "RPOPLPUSH" => 3,
        "LSET" => 4,
        "LINSERT" => 5,
        "SUBSCRIBE" => -2,
        "UNSUBSCRIBE" => -1,
        "PUBLISH" => 3,
        _ => return None,
    })
}

impl Server {
    /// Runs one of this file's commands (arity already checked); `None` for another name.
    pub(super) fn execute_family(
        &mut self,
        conn: ConnId,
        name: &str,
        a: &[String],
        now: u64,
        ctx: Context,
    ) -> Option<Reply> {
        Some(match name {
            "HSET" => self.hset(a),
            "HSETNX" => self.hsetnx(&a[0], &a[1], &a[2]),
            "HGET" => self.hget(&a[0], &a[1]),
            "HMGET" => self.hmget(&a[0], &a[1..]),
            "HDEL" => self.hdel(&a[0], &a[1..]),
            "HEXISTS" => self.hexists(&a[0], &a[1]),
            "HLEN" => self.hlen(&a[0]),
            "HGETALL" => self.hgetall(&a[0]),
            "HINCRBY" => self.hincrby(&a[0], &a[1], &a[2]),
            "ZADD" => self.zadd(a),
            "ZINCRBY" => self.zincrby(a),
            "ZREM" => self.zrem(&a[0], &a[1..]),
            "ZSCORE" => self.zscore(&a[0], &a[1]),
            "ZRANK" => self.zrank(a, false),
            "ZREVRANK" => self.zrank(a, true),
            "ZCARD" => self.zcard(&a[0]),
            "ZCOUNT" => self.zcount(&a[0], &a[1], &a[2]),
            "ZRANGE" => self.zrange(a, zranges::By::Rank),
            "ZRANGEBYSCORE" => self.zrange(a, zranges::By::Score),
            "ZRANGEBYLEX" => self.zrange(a, zranges::By::Lex),
            "ZPOPMIN" => self.zpopmin(a),
            "ZREMRANGEBYSCORE" => self.zremrange(a, true),
            "ZREMRANGEBYRANK" => self.zremrange(a, false),
            "ZUNIONSTORE" => self.zstore(a, true),
            "ZINTERSTORE" => self.zstore(a, false),
            "MSET" => self.mset(a, false),
            "MSETNX" => self.mset(a, true),
            "MGET" => self.mget(a),
            "RENAME" => self.rename(&a[0], &a[1], false),
            "RENAMENX" => self.rename(&a[0], &a[1], true),
            "COPY" => self.copy(a),
            "EXPIREAT" => self.expire(a, now, 1000, true),
            "PEXPIREAT" => self.expire(a, now, 1, true),
            "KEYS" => self.keys_matching(&a[0]),
            "SCAN" => self.scan(a),
            "LINDEX" => self.lindex(&a[0], &a[1]),
            "LSET" => self.lset(&a[0], &a[1], &a[2]),
            "LINSERT" => self.linsert(a),
            "RPOPLPUSH" => self.rpoplpush(&a[0], &a[1]),
            "PUBLISH" => self.publish(&a[0], &a[1]),
            "WAIT" | "SUBSCRIBE" | "UNSUBSCRIBE" if ctx == Context::Script => {
                Reply::err(self.profile.script_not_allowed())
            }
            "WAIT" => self.wait(a, ctx == Context::Exec),
            "SUBSCRIBE" => self.subscribe(conn, a),
            "UNSUBSCRIBE" => self.unsubscribe(conn, a),
            _ => return None,
        })
    }
}
