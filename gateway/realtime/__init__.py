"""Realtime: committed changes fanned out to the subscriptions of this process (ADR 0220).

`brokers` brings each committed change to every serving process (PostgreSQL LISTEN/NOTIFY,
Redis pub/sub, or this process alone on SQLite); `hub` hands it to the subscriptions that
follow its topics, each through a bounded queue.
"""
