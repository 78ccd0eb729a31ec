-- The wallet's schema as sql/migrations/ and sql/functions/ leave it, in one file: what
-- pg_dump --schema-only --schema=wallet --schema=wallet_core prints for a database migrate.py
-- brought up to date, without pg_dump's preamble and without function bodies (each function
-- names the file that defines it). Made with PostgreSQL 15. Generated; do not edit, and
-- nothing applies it. Regenerate with
--     uv run python -m tests.sql.schema_snapshot --write
-- tests/sql/test_schema_snapshot.py fails when the migrations produce anything else.

--
-- Name: wallet; Type: SCHEMA; Schema: -; Owner: wallet_owner
--

CREATE SCHEMA wallet;

ALTER SCHEMA wallet OWNER TO wallet_owner;

--
-- Name: SCHEMA wallet; Type: COMMENT; Schema: -; Owner: wallet_owner
--

COMMENT ON SCHEMA wallet IS 'Sportsbook wallet interface: one function per provider route, and the DBA functions (\df+ wallet.*).';

--
-- Name: wallet_core; Type: SCHEMA; Schema: -; Owner: wallet_owner
--

CREATE SCHEMA wallet_core;

ALTER SCHEMA wallet_core OWNER TO wallet_owner;

--
-- Name: SCHEMA wallet_core; Type: COMMENT; Schema: -; Owner: wallet_owner
--

COMMENT ON SCHEMA wallet_core IS 'Sportsbook wallet internals: ledger tables and the functions behind the interface. Not for direct use.';

--
-- Name: balance_request; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.balance_request AS (
	player_id text,
	currency text
);

ALTER TYPE wallet_core.balance_request OWNER TO wallet_owner;

--
-- Name: TYPE balance_request; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.balance_request IS 'A balance request, validated and typed.';

--
-- Name: bet_request; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.bet_request AS (
	bet_ref text,
	status text
);

ALTER TYPE wallet_core.bet_request OWNER TO wallet_owner;

--
-- Name: TYPE bet_request; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.bet_request IS 'A bet/commit or bet/settlement request, validated and typed: the bet id, and the closing status of a settlement.';

--
-- Name: selection_json; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.selection_json AS (
	id text,
	event_id text,
	sport_id text,
	sport_name text,
	category_id text,
	category_name text,
	tournament_id text,
	tournament_name text,
	competitor_name text[],
	market_name text,
	outcome_name text,
	scheduled numeric,
	live boolean,
	odds numeric
);

ALTER TYPE wallet_core.selection_json OWNER TO wallet_owner;

--
-- Name: TYPE selection_json; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.selection_json IS 'betslip.bets[] of a bet/make request as sent (names as in the JSON).';

--
-- Name: betslip_json; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.betslip_json AS (
	id text,
	type text,
	k numeric,
	"timestamp" numeric,
	is_quick_bet boolean,
	accept_odds_change boolean,
	bets wallet_core.selection_json[]
);

ALTER TYPE wallet_core.betslip_json OWNER TO wallet_owner;

--
-- Name: TYPE betslip_json; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.betslip_json IS 'The betslip of a bet/make request as sent.';

--
-- Name: bonus_check; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.bonus_check AS (
	grant_id bigint,
	bonus_type text,
	from_grant boolean,
	win_net boolean,
	refusal text,
	message text
);

ALTER TYPE wallet_core.bonus_check OWNER TO wallet_owner;

--
-- Name: TYPE bonus_check; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.bonus_check IS 'What bet/make learns of the bonus it names (wallet_core.bonus_of_make): the grant, the type, the policy (stake from the grant, win net of the stake), and the refusal (WA301, WA402) with its message.';

--
-- Name: discard_request; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.discard_request AS (
	transaction_id text,
	player_id text,
	reason text
);

ALTER TYPE wallet_core.discard_request OWNER TO wallet_owner;

--
-- Name: TYPE discard_request; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.discard_request IS 'A bet/discard request, validated and typed.';

--
-- Name: leg; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.leg AS (
	scheduled_at timestamp with time zone,
	live boolean,
	selection_id text,
	event_id text,
	sport_id text,
	category_id text,
	tournament_id text,
	market_name text,
	outcome_name text,
	odds numeric,
	competitor_names jsonb
);

ALTER TYPE wallet_core.leg OWNER TO wallet_owner;

--
-- Name: TYPE leg; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.leg IS 'One selection of a bet slip as the bet keeps it (betslip.bets[], in wallet_core.bets.legs): its ids, names, scheduled time, live flag, odds (exactly as sent) and competitor names (a JSON array of strings). Fixed-width fields first: the smallest row.';

--
-- Name: transaction_json; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.transaction_json AS (
	id text,
	player_id text,
	"timestamp" numeric,
	cross_rate_euro numeric
);

ALTER TYPE wallet_core.transaction_json OWNER TO wallet_owner;

--
-- Name: TYPE transaction_json; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.transaction_json IS 'The transaction of a bet/make request as sent (the fields the fast reader takes from it).';

--
-- Name: make_json; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.make_json AS (
	player_id text,
	currency text,
	amount bigint,
	session_id text,
	bonus_id text,
	potential_win bigint,
	transaction wallet_core.transaction_json,
	betslip wallet_core.betslip_json,
	bonus_type text
);

ALTER TYPE wallet_core.make_json OWNER TO wallet_owner;

--
-- Name: TYPE make_json; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.make_json IS 'A bet/make request as sent, for jsonb_populate_record; wallet_core.make_request is what the route uses.';

--
-- Name: selection_request; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.selection_request AS (
	"position" integer,
	selection_id text,
	event_id text,
	sport_id text,
	sport_name text,
	category_id text,
	category_name text,
	tournament_id text,
	tournament_name text,
	competitor_names text[],
	market_name text,
	outcome_name text,
	scheduled_at timestamp with time zone,
	live boolean,
	odds numeric
);

ALTER TYPE wallet_core.selection_request OWNER TO wallet_owner;

--
-- Name: TYPE selection_request; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.selection_request IS 'One selection of a bet/make request (betslip.bets[position]), validated and typed.';

--
-- Name: make_request; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.make_request AS (
	transaction_id text,
	player_id text,
	currency text,
	amount bigint,
	session_id text,
	bonus_id text,
	potential_win bigint,
	betslip_id text,
	provider_player_id text,
	transaction_at timestamp with time zone,
	placed_at timestamp with time zone,
	betslip_type text,
	odds numeric,
	is_quick_bet boolean,
	accept_odds_change boolean,
	selections wallet_core.selection_request[],
	bonus_type text,
	cross_rate_euro numeric
);

ALTER TYPE wallet_core.make_request OWNER TO wallet_owner;

--
-- Name: TYPE make_request; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.make_request IS 'A bet/make request, validated and typed (wallet_core.read_make).';

--
-- Name: operation; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.operation AS (
	kind text,
	key text,
	route text,
	player_id text,
	amount bigint,
	currency text,
	parent text,
	detail text
);

ALTER TYPE wallet_core.operation OWNER TO wallet_owner;

--
-- Name: TYPE operation; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.operation IS 'An operation''s idempotency key (kind, key) and the content a replay must match (route, player, amount, currency, parent, detail).';

--
-- Name: reply; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.reply AS (
	status integer,
	body jsonb
);

ALTER TYPE wallet_core.reply OWNER TO wallet_owner;

--
-- Name: TYPE reply; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.reply IS 'What a route function answers: the HTTP status and the JSON body, exactly as sent back.';

--
-- Name: rollback_request; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.rollback_request AS (
	transaction_id text,
	player_id text,
	bet_ref text,
	settlement_id text,
	amount bigint,
	currency text,
	cross_rate_euro numeric,
	provider_at timestamp with time zone
);

ALTER TYPE wallet_core.rollback_request OWNER TO wallet_owner;

--
-- Name: TYPE rollback_request; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.rollback_request IS 'A bet/rollback request, validated and typed.';

--
-- Name: settle_request; Type: TYPE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TYPE wallet_core.settle_request AS (
	transaction_id text,
	player_id text,
	bet_ref text,
	amount bigint,
	currency text,
	reason text,
	result text,
	cross_rate_euro numeric,
	provider_at timestamp with time zone,
	final_odds numeric,
	legs jsonb
);

ALTER TYPE wallet_core.settle_request OWNER TO wallet_owner;

--
-- Name: TYPE settle_request; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TYPE wallet_core.settle_request IS 'A bet/win, bet/lost or bet/refund request, validated and typed, with the result it settles the bet as (won, cashed_out, lost, refunded).';

--
-- Name: adjust_balance(text, text, bigint, text); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.adjust_balance(player_id text, currency text, amount bigint, reason text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/10_dba.sql

ALTER FUNCTION wallet.adjust_balance(player_id text, currency text, amount bigint, reason text) OWNER TO wallet_owner;

--
-- Name: FUNCTION adjust_balance(player_id text, currency text, amount bigint, reason text); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.adjust_balance(player_id text, currency text, amount bigint, reason text) IS 'Manual deposit (positive amount) or withdrawal (negative, never below zero), journaled with its reason; emits balance.adjusted. Returns the new balance.';

--
-- Name: audit(); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.audit() RETURNS TABLE("check" text, player_id text, detail text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/10_dba.sql

ALTER FUNCTION wallet.audit() OWNER TO wallet_owner;

--
-- Name: FUNCTION audit(); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.audit() IS 'Checks the ledger''s invariants; one row per finding (check, player_id, detail). A healthy ledger returns only negative_balance rows, one per account below zero, naming the rollback that took it there, and negative_grant rows, one per bonus grant a rollback of a refund took below zero. Any other row is a broken invariant (orphan_row: a bet or journal row on no account, a journal row naming no bet; bet_rules, journal_rules, event_rules, account_rules: a row breaking a rule its table''s CHECK constraints enforced before migration 0620; make_while_excluded, make_over_limit: a make accepted against an exclusion or a limit in force; grant_below_zero, grant_remainder, bonus_give_back: a bonus grant whose remainder is not what its bets took and gave back; books_vs_journal: a kept win, refund or rollback whose real credit differs from its journal row).';

--
-- Name: await_standbys(); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.await_standbys() RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/migrations/0700_high_availability.sql

ALTER FUNCTION wallet.await_standbys() OWNER TO wallet_owner;

--
-- Name: FUNCTION await_standbys(); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.await_standbys() IS 'True, after making the calling transaction''s COMMIT wait for the synchronous standbys when it has written nothing (a transactional logical message): an answer that only reads is then given only once what it read is on the standby. A no-op where commits do not wait for standbys.';

--
-- Name: balance(text, text); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.balance(player_id text, currency text) RETURNS bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/10_dba.sql

ALTER FUNCTION wallet.balance(player_id text, currency text) OWNER TO wallet_owner;

--
-- Name: FUNCTION balance(player_id text, currency text); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.balance(player_id text, currency text) IS 'The balance of a player''s account, in minor units.';

--
-- Name: bet_commit(jsonb); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.bet_commit(request jsonb, OUT status integer, OUT body jsonb) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/22_bet_commit.sql

ALTER FUNCTION wallet.bet_commit(request jsonb, OUT status integer, OUT body jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION bet_commit(request jsonb, OUT status integer, OUT body jsonb); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.bet_commit(request jsonb, OUT status integer, OUT body jsonb) IS 'Route bet/commit: the provider accepted an open bet; no money moves. Takes the request, returns (status, body). Exactly once per bet_transaction_id.';

--
-- Name: bet_discard(jsonb); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.bet_discard(request jsonb, OUT status integer, OUT body jsonb) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/23_bet_discard.sql

ALTER FUNCTION wallet.bet_discard(request jsonb, OUT status integer, OUT body jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION bet_discard(request jsonb, OUT status integer, OUT body jsonb); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.bet_discard(request jsonb, OUT status integer, OUT body jsonb) IS 'Route bet/discard: gives the stake of an open bet back. For a make never seen, leaves a marker so that the make, arriving later, is refused (2004). Takes the request, returns (status, body). Exactly once per transaction_id.';

--
-- Name: bet_lost(jsonb); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.bet_lost(request jsonb, OUT status integer, OUT body jsonb) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/25_bet_lost.sql

ALTER FUNCTION wallet.bet_lost(request jsonb, OUT status integer, OUT body jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION bet_lost(request jsonb, OUT status integer, OUT body jsonb); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.bet_lost(request jsonb, OUT status integer, OUT body jsonb) IS 'Route bet/lost: settles the bet as lost; no money moves. Takes the request, returns (status, body). Exactly once per transaction.id.';

--
-- Name: bet_make(jsonb); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.bet_make(request jsonb, OUT status integer, OUT body jsonb) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/21_bet_make.sql

ALTER FUNCTION wallet.bet_make(request jsonb, OUT status integer, OUT body jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION bet_make(request jsonb, OUT status integer, OUT body jsonb); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.bet_make(request jsonb, OUT status integer, OUT body jsonb) IS 'Route bet/make. Takes the request (the JWT payload claim) and returns (status, body) to send back. Debits the stake, stores the bet slip with its selections, inserts new sports/categories/tournaments. Exactly once per transaction.id.';

--
-- Name: bet_refund(jsonb); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.bet_refund(request jsonb, OUT status integer, OUT body jsonb) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/26_bet_refund.sql

ALTER FUNCTION wallet.bet_refund(request jsonb, OUT status integer, OUT body jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION bet_refund(request jsonb, OUT status integer, OUT body jsonb); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.bet_refund(request jsonb, OUT status integer, OUT body jsonb) IS 'Route bet/refund: credits transaction.amount (at most the stake) and settles the bet as refunded. Takes the request, returns (status, body). Exactly once per transaction.id.';

--
-- Name: bet_rollback(jsonb); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.bet_rollback(request jsonb, OUT status integer, OUT body jsonb) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/27_bet_rollback.sql

ALTER FUNCTION wallet.bet_rollback(request jsonb, OUT status integer, OUT body jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION bet_rollback(request jsonb, OUT status integer, OUT body jsonb); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.bet_rollback(request jsonb, OUT status integer, OUT body jsonb) IS 'Route bet/rollback: undoes the settlement named by parent_transaction_id (debits a win or refund back, even below zero) and reopens the bet as accepted. Takes the request, returns (status, body). Exactly once per transaction.id.';

--
-- Name: bet_settlement(jsonb); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.bet_settlement(request jsonb, OUT status integer, OUT body jsonb) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/28_bet_settlement.sql

ALTER FUNCTION wallet.bet_settlement(request jsonb, OUT status integer, OUT body jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION bet_settlement(request jsonb, OUT status integer, OUT body jsonb); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.bet_settlement(request jsonb, OUT status integer, OUT body jsonb) IS 'Route bet/settlement: closes a settled bet with the provider''s final status; it can no longer be rolled back. Takes the request, returns (status, body). Exactly once per bet_transaction_id.';

--
-- Name: bet_win(jsonb); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.bet_win(request jsonb, OUT status integer, OUT body jsonb) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/24_bet_win.sql

ALTER FUNCTION wallet.bet_win(request jsonb, OUT status integer, OUT body jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION bet_win(request jsonb, OUT status integer, OUT body jsonb); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.bet_win(request jsonb, OUT status integer, OUT body jsonb) IS 'Route bet/win: credits the win and settles the bet as won (or cashed out with is_cashout). Takes the request, returns (status, body). Exactly once per transaction.id.';

--
-- Name: block_player(text); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.block_player(player_id text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/10_dba.sql

ALTER FUNCTION wallet.block_player(player_id text) OWNER TO wallet_owner;

--
-- Name: FUNCTION block_player(player_id text); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.block_player(player_id text) IS 'Blocks a player in every currency: bet/make is refused with 1005; settlements, discards and rollbacks still reach the player. Closes the player''s open sessions. Emits player.blocked when the player was not blocked (and session.closed for each session it closed).';

--
-- Name: bonuses(text); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.bonuses(player_id text) RETURNS TABLE(bonus_id text, currency text, bonus_type text, amount bigint, remaining bigint, status text, stake_from text, win_credits text, expires_at timestamp with time zone, granted_at timestamp with time zone, granted_by text, revoked_at timestamp with time zone, revoke_reason text, bets bigint, open_bets bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/07_bonus_bets.sql

ALTER FUNCTION wallet.bonuses(player_id text) OWNER TO wallet_owner;

--
-- Name: FUNCTION bonuses(player_id text); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.bonuses(player_id text) IS 'The grants of a player, oldest first: bonus_id, currency, type, amount, what is left, status (active, expired, revoked), the policy in force for its type, when and by whom granted, the revocation, and how many bets used it (and how many are still open or accepted).';

--
-- Name: close_session(text); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.close_session(session_id text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet.close_session(session_id text) OWNER TO wallet_owner;

--
-- Name: FUNCTION close_session(session_id text); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.close_session(session_id text) IS 'Closes a session; true when it was open, false when it was closed already (WA208 when unknown). Emits session.closed.';

--
-- Name: commit_readiness(); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.commit_readiness() RETURNS SETOF text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/migrations/0300_commit_readiness.sql

ALTER FUNCTION wallet.commit_readiness() OWNER TO wallet_owner;

--
-- Name: FUNCTION commit_readiness(); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.commit_readiness() IS 'What stops this session''s writes from committing now, one row each (none: they can): a standby, a read-only session, or fewer synchronous standbys streaming than synchronous_standby_names requires. /readyz answers 503 while it returns a row.';

--
-- Name: create_player(text, text, bigint); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.create_player(player_id text, currency text, balance bigint DEFAULT 0) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/10_dba.sql

ALTER FUNCTION wallet.create_player(player_id text, currency text, balance bigint) OWNER TO wallet_owner;

--
-- Name: FUNCTION create_player(player_id text, currency text, balance bigint); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.create_player(player_id text, currency text, balance bigint) IS 'Opens an account for a player in a currency, with an optional opening balance in minor units (journaled as a deposit), and emits player.created. Returns the account id. Raises WA207 if the account exists.';

--
-- Name: events_backlog(); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.events_backlog(OUT unpublished bigint, OUT oldest_age double precision) RETURNS record
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/05_events.sql

ALTER FUNCTION wallet.events_backlog(OUT unpublished bigint, OUT oldest_age double precision) OWNER TO wallet_owner;

--
-- Name: FUNCTION events_backlog(OUT unpublished bigint, OUT oldest_age double precision); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.events_backlog(OUT unpublished bigint, OUT oldest_age double precision) IS 'What ops watch: how many events wait in the outbox, and the age in seconds of the oldest (0 when none waits): the relay''s lag.';

--
-- Name: exclude_player(text, timestamp with time zone, text); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.exclude_player(player_id text, until timestamp with time zone, reason text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet.exclude_player(player_id text, until timestamp with time zone, reason text) OWNER TO wallet_owner;

--
-- Name: FUNCTION exclude_player(player_id text, until timestamp with time zone, reason text); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.exclude_player(player_id text, until timestamp with time zone, reason text) IS 'Self-exclusion (until null: indefinite) or time-out (until a time) of a player in every currency: every make is refused with 4001 until then; settlements still credit. Extends an exclusion in force, never shortens it (WA208). Closes the player''s sessions. Kept in the history; emits player.excluded.';

--
-- Name: grant_bonus(text, text, text, text, bigint, timestamp with time zone); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.grant_bonus(player_id text, currency text, bonus_id text, bonus_type text, amount bigint, expires_at timestamp with time zone) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/07_bonus_bets.sql

ALTER FUNCTION wallet.grant_bonus(player_id text, currency text, bonus_id text, bonus_type text, amount bigint, expires_at timestamp with time zone) OWNER TO wallet_owner;

--
-- Name: FUNCTION grant_bonus(player_id text, currency text, bonus_id text, bonus_type text, amount bigint, expires_at timestamp with time zone); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.grant_bonus(player_id text, currency text, bonus_id text, bonus_type text, amount bigint, expires_at timestamp with time zone) IS 'Gives a player a bonus in one currency: bonus_id (the provider''s, unique), its type (one with a policy, else WA204), the amount its bets may take (minor units), its end (null: none). Returns the grant id. The same grant again returns the same id and changes nothing; the same bonus_id with other terms is WA209, and so is a grant to a player who is excluded now. Kept in wallet_core.bonus_journal; emits bonus.granted.';

--
-- Name: lift_exclusion(text, text); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.lift_exclusion(player_id text, reason text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet.lift_exclusion(player_id text, reason text) OWNER TO wallet_owner;

--
-- Name: FUNCTION lift_exclusion(player_id text, reason text); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.lift_exclusion(player_id text, reason text) IS 'For the compliance officer: ends a player''s exclusion or time-out now, with a reason kept in the history; emits player.exclusion_lifted. Refuses (WA208) when the player is not excluded, or the exclusion is indefinite and younger than the cooling-off period.';

--
-- Name: limits(text); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.limits(player_id text) RETURNS TABLE(currency text, kind text, amount bigint, pending_amount bigint, pending_removal boolean, effective_at timestamp with time zone)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet.limits(player_id text) OWNER TO wallet_owner;

--
-- Name: FUNCTION limits(player_id text); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.limits(player_id text) IS 'A player''s limits, one row per currency and kind: the amount in force now and, when a looser change waits for its cooling-off, the pending amount (or pending_removal) and when it takes effect.';

--
-- Name: mark_events_published(bigint[]); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.mark_events_published(event_ids bigint[]) RETURNS integer
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/05_events.sql

ALTER FUNCTION wallet.mark_events_published(event_ids bigint[]) OWNER TO wallet_owner;

--
-- Name: FUNCTION mark_events_published(event_ids bigint[]); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.mark_events_published(event_ids bigint[]) IS 'Marks events published; the relay calls it only after the broker confirmed them. Returns how many were still unpublished.';

--
-- Name: money_report(timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.money_report(window_from timestamp with time zone, window_to timestamp with time zone) RETURNS TABLE(currency text, stakes bigint, wins bigint, refunds bigint, rollbacks bigint, bonus_cost bigint, ggr bigint, bets bigint, players bigint, stakes_eur numeric, wins_eur numeric, refunds_eur numeric, rollbacks_eur numeric, bonus_cost_eur numeric, ggr_eur numeric, unconverted bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    SET max_parallel_workers_per_gather TO '0'
    SET jit TO 'off'
    SET work_mem TO '64MB'
    AS $$...$$;  -- body: sql/functions/40_books.sql

ALTER FUNCTION wallet.money_report(window_from timestamp with time zone, window_to timestamp with time zone) OWNER TO wallet_owner;

--
-- Name: FUNCTION money_report(window_from timestamp with time zone, window_to timestamp with time zone); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.money_report(window_from timestamp with time zone, window_to timestamp with time zone) IS 'The money of [from, to), per currency and for ALL currencies in euros: stakes of the bets made in the window (discarded bets excluded), wins, refunds and rollbacks taken in it, bonus cost (the stakes'' bonus_stake), GGR = stakes - wins - refunds + rollbacks, bets, players (who made a bet). The *_eur columns convert each operation at its own transaction.cross_rate_euro (else its bet''s; EUR at 1), in euro cents rounded once; unconverted counts the operations without a rate, left out of them. Read-only.';

--
-- Name: move_to_bet_rows(integer, bigint); Type: PROCEDURE; Schema: wallet; Owner: wallet_owner
--

CREATE PROCEDURE wallet.move_to_bet_rows(IN batch integer DEFAULT 5000, INOUT moved bigint DEFAULT 0)
    LANGUAGE plpgsql
    AS $$...$$;  -- body: sql/migrations/0610_bet_row_holds_slip_and_answer.sql

ALTER PROCEDURE wallet.move_to_bet_rows(IN batch integer, INOUT moved bigint) OWNER TO wallet_owner;

--
-- Name: PROCEDURE move_to_bet_rows(IN batch integer, INOUT moved bigint); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON PROCEDURE wallet.move_to_bet_rows(IN batch integer, INOUT moved bigint) IS 'Moves the bets made before migration 0610 to the bet-row layout, batch bets at a time (default 5000), each batch its own transaction: their selections into wallet_core.bets.legs, and their make records out of wallet_core.idempotency where the bet row answers the same bytes. CALL wallet.move_to_bet_rows() outside a transaction block, once after the deploy; it may be stopped and called again. Prints each batch''s time (the longest a bet row was locked).';

--
-- Name: open_session(text, text, timestamp with time zone); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.open_session(player_id text, session_id text, expires_at timestamp with time zone) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet.open_session(player_id text, session_id text, expires_at timestamp with time zone) OWNER TO wallet_owner;

--
-- Name: FUNCTION open_session(player_id text, session_id text, expires_at timestamp with time zone); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.open_session(player_id text, session_id text, expires_at timestamp with time zone) IS 'Opens a session of the player''s front end until expires_at; emits session.opened. WA208 when the session exists already or the player is excluded.';

--
-- Name: pack_bet_rows(integer, bigint); Type: PROCEDURE; Schema: wallet; Owner: wallet_owner
--

CREATE PROCEDURE wallet.pack_bet_rows(IN batch integer DEFAULT 5000, INOUT packed bigint DEFAULT 0)
    LANGUAGE plpgsql
    AS $$...$$;  -- body: sql/migrations/0630_lean_bet_and_event_rows.sql

ALTER PROCEDURE wallet.pack_bet_rows(IN batch integer, INOUT packed bigint) OWNER TO wallet_owner;

--
-- Name: PROCEDURE pack_bet_rows(IN batch integer, INOUT packed bigint); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON PROCEDURE wallet.pack_bet_rows(IN batch integer, INOUT packed bigint) IS 'Packs the rows written before migration 0630, batch rows at a time (default 5000), each batch its own transaction: the legs of older bets into bets.legs_packed, and the detail of older real-money bet.made events out of events.detail, each only where what the readers give back is the same. CALL wallet.pack_bet_rows() outside a transaction block, once after the deploy; it may be stopped and called again. Returns how many rows it changed.';

--
-- Name: player_balance(jsonb); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.player_balance(request jsonb, OUT status integer, OUT body jsonb) RETURNS record
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/20_player_balance.sql

ALTER FUNCTION wallet.player_balance(request jsonb, OUT status integer, OUT body jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION player_balance(request jsonb, OUT status integer, OUT body jsonb); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.player_balance(request jsonb, OUT status integer, OUT body jsonb) IS 'Route balance: {user_id, currency, balance} for the request''s player_id and currency. Takes the request, returns (status, body). Blocked players still get their balance.';

--
-- Name: player_bets(text, bigint, integer); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.player_bets(player_id text, before bigint DEFAULT NULL::bigint, page integer DEFAULT 50) RETURNS TABLE(bet_id bigint, currency text, made_at timestamp with time zone, state text, result text, closing_status text, stake bigint, paid bigint, bonus_id text, bonus_stake bigint, odds numeric, final_odds numeric, potential_win bigint, make_transaction_id text, betslip_id text, legs jsonb, operations jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $_$...$_$;  -- body: sql/functions/40_books.sql

ALTER FUNCTION wallet.player_bets(player_id text, before bigint, page integer) OWNER TO wallet_owner;

--
-- Name: FUNCTION player_bets(player_id text, before bigint, page integer); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.player_bets(player_id text, before bigint, page integer) IS 'A player''s bets in every currency, newest first, page bets at a time (keyset: pass the last bet_id of a page as before to get the next; never OFFSET). Each with its state, result and closing status, stake, paid (what its current settlement credited), bonus, odds and final odds, its legs (each selection with its status and final odds from the current win or lost) and its operations (every win, lost, refund and rollback). WA006 for an unknown player, WA204 for a page outside 1 to 1000. Read-only.';

--
-- Name: player_statement(text, text, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.player_statement(player_id text, currency text, window_from timestamp with time zone, window_to timestamp with time zone) RETURNS TABLE(entry_id bigint, at timestamp with time zone, operation text, amount bigint, balance_after bigint, transaction_id text, bet_id bigint, reason text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/40_books.sql

ALTER FUNCTION wallet.player_statement(player_id text, currency text, window_from timestamp with time zone, window_to timestamp with time zone) OWNER TO wallet_owner;

--
-- Name: FUNCTION player_statement(player_id text, currency text, window_from timestamp with time zone, window_to timestamp with time zone); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.player_statement(player_id text, currency text, window_from timestamp with time zone, window_to timestamp with time zone) IS 'A player''s account in one currency over [from, to): every journal line (deposit, withdrawal, bet, discard, win, refund, rollback) in order, with the balance after each. WA006 / WA202 when there is no such account, WA204 for an empty window. Read-only.';

--
-- Name: purge_events(interval, bigint); Type: PROCEDURE; Schema: wallet; Owner: wallet_owner
--

CREATE PROCEDURE wallet.purge_events(IN older_than interval, INOUT deleted bigint DEFAULT 0)
    LANGUAGE plpgsql
    AS $$...$$;  -- body: sql/functions/05_events.sql

ALTER PROCEDURE wallet.purge_events(IN older_than interval, INOUT deleted bigint) OWNER TO wallet_owner;

--
-- Name: PROCEDURE purge_events(IN older_than interval, INOUT deleted bigint); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON PROCEDURE wallet.purge_events(IN older_than interval, INOUT deleted bigint) IS 'Deletes published events that occurred more than older_than ago, 1000 at a time with a commit after each batch; never an unpublished one. CALL wallet.purge_events(''30 days'') outside a transaction block; it returns how many it deleted.';

--
-- Name: purge_idempotency(interval, bigint, integer); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.purge_idempotency(keep interval, first_block bigint, blocks integer DEFAULT 128, OUT deleted bigint, OUT next_block bigint) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$...$_$;  -- body: sql/functions/30_retention.sql

ALTER FUNCTION wallet.purge_idempotency(keep interval, first_block bigint, blocks integer, OUT deleted bigint, OUT next_block bigint) OWNER TO wallet_owner;

--
-- Name: FUNCTION purge_idempotency(keep interval, first_block bigint, blocks integer, OUT deleted bigint, OUT next_block bigint); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.purge_idempotency(keep interval, first_block bigint, blocks integer, OUT deleted bigint, OUT next_block bigint) IS 'Deletes the idempotency records older than keep in blocks [first_block, first_block + blocks) of wallet_core.idempotency, except those of operations whose bet is not closed or discarded (it can still be rolled back or settled again, and an old operation sent again must replay, not apply); returns how many and the next first_block (null past the end). A replay of an operation older than keep is treated as a new operation: keep must cover the provider''s retries. Run by `wallet purge`, one batch per transaction.';

--
-- Name: purge_limit_counters(interval); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.purge_limit_counters(older_than interval DEFAULT '31 days'::interval) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet.purge_limit_counters(older_than interval) OWNER TO wallet_owner;

--
-- Name: FUNCTION purge_limit_counters(older_than interval); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.purge_limit_counters(older_than interval) IS 'Deletes the counter rows no window reads any more: older than older_than (at least 31 days, the default), keeping each account''s newest such row. Returns how many it deleted. Takes no lock a make waits for.';

--
-- Name: reconcile(timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.reconcile(window_from timestamp with time zone, window_to timestamp with time zone) RETURNS TABLE(difference text, transaction_id text, player_id text, detail text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    SET max_parallel_workers_per_gather TO '0'
    SET jit TO 'off'
    AS $$...$$;  -- body: sql/functions/40_books.sql

ALTER FUNCTION wallet.reconcile(window_from timestamp with time zone, window_to timestamp with time zone) OWNER TO wallet_owner;

--
-- Name: FUNCTION reconcile(window_from timestamp with time zone, window_to timestamp with time zone); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.reconcile(window_from timestamp with time zone, window_to timestamp with time zone) IS 'Compares the wallet''s books with wallet.provider_report over [from, to): one row per difference (missing_in_wallet, missing_in_provider, operation, amount, currency, player, bet_state), matched by the provider''s transaction id. A pair belongs to the window of the wallet''s time; an operation present on one side only within wallet_core.reconcile_margin() (5 minutes) of an edge is not a difference. No rows: the books agree. Read-only.';

--
-- Name: relay_lead(); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.relay_lead() RETURNS boolean
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/05_events.sql

ALTER FUNCTION wallet.relay_lead() OWNER TO wallet_owner;

--
-- Name: FUNCTION relay_lead(); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.relay_lead() IS 'Makes this session the leading relay if no other session leads (a session advisory lock, released when the session ends). True when this session leads.';

--
-- Name: remove_limit(text, text, text, text); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.remove_limit(player_id text, currency text, kind text, reason text) RETURNS timestamp with time zone
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet.remove_limit(player_id text, currency text, kind text, reason text) OWNER TO wallet_owner;

--
-- Name: FUNCTION remove_limit(player_id text, currency text, kind text, reason text); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.remove_limit(player_id text, currency text, kind text, reason text) IS 'Removes a limit after the cooling-off period (until then it holds, and the removal is pending). Returns when the removal applies. WA208 when no such limit is in force. Kept in the history; emits limit.removed.';

--
-- Name: revoke_bonus(text, text); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.revoke_bonus(bonus_id text, reason text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/07_bonus_bets.sql

ALTER FUNCTION wallet.revoke_bonus(bonus_id text, reason text) OWNER TO wallet_owner;

--
-- Name: FUNCTION revoke_bonus(bonus_id text, reason text); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.revoke_bonus(bonus_id text, reason text) IS 'Ends a grant: a make naming it is 3001 from now on; bets already made with it go on, and what their discards and refunds give back returns to it (unusable). True when revoked now, false when it was revoked already; WA209 for an unknown bonus. Kept in wallet_core.bonus_journal; emits bonus.revoked.';

--
-- Name: set_bonus_policy(text, text, text, boolean, text); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.set_bonus_policy(bonus_type text, stake_from text, win_credits text, requires_grant boolean, reason text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$...$_$;  -- body: sql/functions/07_bonus_bets.sql

ALTER FUNCTION wallet.set_bonus_policy(bonus_type text, stake_from text, win_credits text, requires_grant boolean, reason text) OWNER TO wallet_owner;

--
-- Name: FUNCTION set_bonus_policy(bonus_type text, stake_from text, win_credits text, requires_grant boolean, reason text); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.set_bonus_policy(bonus_type text, stake_from text, win_credits text, requires_grant boolean, reason text) IS 'Adds or changes the policy of a bonus type: stake_from (grant or real), win_credits (amount or amount_minus_stake), requires_grant. Applies to makes from now on; a bet already made keeps the win policy it was made under. Kept in wallet_core.bonus_journal with who, why and the values before and after. WA204 for a value out of its list.';

--
-- Name: set_limit(text, text, text, bigint, text); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.set_limit(player_id text, currency text, kind text, amount bigint, reason text) RETURNS timestamp with time zone
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet.set_limit(player_id text, currency text, kind text, amount bigint, reason text) OWNER TO wallet_owner;

--
-- Name: FUNCTION set_limit(player_id text, currency text, kind text, amount bigint, reason text); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.set_limit(player_id text, currency text, kind text, amount bigint, reason text) IS 'Sets a limit of a player''s account (kind: stake_per_bet, stake_24h/7d/30d, loss_24h/7d/30d, bets_24h; amount in minor units, a count for bets_24h). A stricter one (new, lower, the same) applies at once and drops a pending change; a looser one waits for the cooling-off period. Returns when it applies. Kept in the history with who, when and why; emits limit.set.';

--
-- Name: set_setting(text, text, text); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.set_setting(name text, value text, reason text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$...$_$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet.set_setting(name text, value text, reason text) OWNER TO wallet_owner;

--
-- Name: FUNCTION set_setting(name text, value text, reason text); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.set_setting(name text, value text, reason text) IS 'Changes a responsible-gambling setting of this database, with a reason kept in the history: cooling_off (an interval, default 24 hours) or session_check (off or enforce).';

--
-- Name: unblock_player(text); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.unblock_player(player_id text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/10_dba.sql

ALTER FUNCTION wallet.unblock_player(player_id text) OWNER TO wallet_owner;

--
-- Name: FUNCTION unblock_player(player_id text); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.unblock_player(player_id text) IS 'Lifts a block set by wallet.block_player(); emits player.unblocked when the player was blocked.';

--
-- Name: unpublished_events(integer); Type: FUNCTION; Schema: wallet; Owner: wallet_owner
--

CREATE FUNCTION wallet.unpublished_events(batch_size integer) RETURNS TABLE(event_id bigint, type text, body text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/05_events.sql

ALTER FUNCTION wallet.unpublished_events(batch_size integer) OWNER TO wallet_owner;

--
-- Name: FUNCTION unpublished_events(batch_size integer); Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet.unpublished_events(batch_size integer) IS 'The leading relay''s read: up to batch_size unpublished events, oldest id first, with the message body. Takes no row lock. Refused (55000) while another session leads.';

--
-- Name: advance_bet(wallet_core.operation, text, text, text, text, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.advance_bet(op wallet_core.operation, operation text, bet_ref text, from_state text, to_state text, closing_status text DEFAULT NULL::text) RETURNS wallet_core.reply
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/04_bets.sql

ALTER FUNCTION wallet_core.advance_bet(op wallet_core.operation, operation text, bet_ref text, from_state text, to_state text, closing_status text) OWNER TO wallet_owner;

--
-- Name: FUNCTION advance_bet(op wallet_core.operation, operation text, bet_ref text, from_state text, to_state text, closing_status text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.advance_bet(op wallet_core.operation, operation text, bet_ref text, from_state text, to_state text, closing_status text) IS 'Moves a bet from one state to the next without moving money (commit: open -> accepted; settlement: settled -> closed), exactly once per operation key. Behind wallet_core.commit_bet and wallet_core.close_bet.';

--
-- Name: answer(wallet_core.operation, bigint, jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.answer(op wallet_core.operation, operation_id bigint, success jsonb) RETURNS wallet_core.reply
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/02_idempotency.sql

ALTER FUNCTION wallet_core.answer(op wallet_core.operation, operation_id bigint, success jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION answer(op wallet_core.operation, operation_id bigint, success jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.answer(op wallet_core.operation, operation_id bigint, success jsonb) IS 'Answers a claimed operation with 200 and its body, stored with the key for replay.';

--
-- Name: as_amount(jsonb, text, boolean); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.as_amount(value jsonb, field text, required boolean DEFAULT true) RETURNS bigint
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_validation.sql

ALTER FUNCTION wallet_core.as_amount(value jsonb, field text, required boolean) OWNER TO wallet_owner;

--
-- Name: FUNCTION as_amount(value jsonb, field text, required boolean); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.as_amount(value jsonb, field text, required boolean) IS 'An amount: a JSON integer from 0 to wallet_core.max_amount() (no fraction, not even .0; no string, no boolean). Otherwise WA204.';

--
-- Name: as_boolean(jsonb, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.as_boolean(value jsonb, field text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_validation.sql

ALTER FUNCTION wallet_core.as_boolean(value jsonb, field text) OWNER TO wallet_owner;

--
-- Name: FUNCTION as_boolean(value jsonb, field text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.as_boolean(value jsonb, field text) IS 'An optional JSON boolean. Otherwise WA204.';

--
-- Name: as_currency(jsonb, text, boolean); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.as_currency(value jsonb, field text, required boolean DEFAULT true) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_validation.sql

ALTER FUNCTION wallet_core.as_currency(value jsonb, field text, required boolean) OWNER TO wallet_owner;

--
-- Name: FUNCTION as_currency(value jsonb, field text, required boolean); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.as_currency(value jsonb, field text, required boolean) IS 'A currency code of 3 to 8 uppercase letters or digits; otherwise WA202 (invalid currency).';

--
-- Name: as_decimal(jsonb, text, boolean); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.as_decimal(value jsonb, field text, required boolean DEFAULT true) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_validation.sql

ALTER FUNCTION wallet_core.as_decimal(value jsonb, field text, required boolean) OWNER TO wallet_owner;

--
-- Name: FUNCTION as_decimal(value jsonb, field text, required boolean); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.as_decimal(value jsonb, field text, required boolean) IS 'Odds: a JSON number or decimal string, positive, kept exactly as numeric. Otherwise WA204.';

--
-- Name: as_id(jsonb, text, boolean); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.as_id(value jsonb, field text, required boolean DEFAULT true) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_validation.sql

ALTER FUNCTION wallet_core.as_id(value jsonb, field text, required boolean) OWNER TO wallet_owner;

--
-- Name: FUNCTION as_id(value jsonb, field text, required boolean); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.as_id(value jsonb, field text, required boolean) IS 'A provider id: a string of 1 to wallet_core.max_id_length() characters, or a non-negative JSON integer taken as its decimal text (so 123 and "123" are the same id). Otherwise WA204.';

--
-- Name: as_object(jsonb, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.as_object(value jsonb, field text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_validation.sql

ALTER FUNCTION wallet_core.as_object(value jsonb, field text) OWNER TO wallet_owner;

--
-- Name: FUNCTION as_object(value jsonb, field text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.as_object(value jsonb, field text) IS 'The value as a JSON object, or WA204.';

--
-- Name: max_text_length(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.max_text_length() RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.max_text_length() OWNER TO wallet_owner;

--
-- Name: FUNCTION max_text_length(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.max_text_length() IS 'The longest free text (a name, a reason) the wallet accepts: 1000 characters.';

--
-- Name: as_text(jsonb, text, boolean, integer); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.as_text(value jsonb, field text, required boolean DEFAULT true, max_length integer DEFAULT wallet_core.max_text_length()) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_validation.sql

ALTER FUNCTION wallet_core.as_text(value jsonb, field text, required boolean, max_length integer) OWNER TO wallet_owner;

--
-- Name: FUNCTION as_text(value jsonb, field text, required boolean, max_length integer); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.as_text(value jsonb, field text, required boolean, max_length integer) IS 'A free-text field (a name, a reason): a JSON string of bounded length. Otherwise WA204.';

--
-- Name: as_text_array(jsonb, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.as_text_array(value jsonb, field text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_validation.sql

ALTER FUNCTION wallet_core.as_text_array(value jsonb, field text) OWNER TO wallet_owner;

--
-- Name: FUNCTION as_text_array(value jsonb, field text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.as_text_array(value jsonb, field text) IS 'An optional array of strings. Otherwise WA204.';

--
-- Name: as_timestamp(jsonb, text, boolean); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.as_timestamp(value jsonb, field text, required boolean DEFAULT true) RETURNS timestamp with time zone
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $_$...$_$;  -- body: sql/functions/00_validation.sql

ALTER FUNCTION wallet_core.as_timestamp(value jsonb, field text, required boolean) OWNER TO wallet_owner;

--
-- Name: FUNCTION as_timestamp(value jsonb, field text, required boolean); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.as_timestamp(value jsonb, field text, required boolean) IS 'A time as integer or fractional unix seconds (number or numeric string). Otherwise WA204.';

--
-- Name: bet_legs(text, wallet_core.leg[]); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.bet_legs(legs_packed text, legs wallet_core.leg[]) RETURNS wallet_core.leg[]
    LANGUAGE sql STABLE
    AS $$...$$;  -- body: sql/functions/04_bets.sql

ALTER FUNCTION wallet_core.bet_legs(legs_packed text, legs wallet_core.leg[]) OWNER TO wallet_owner;

--
-- Name: FUNCTION bet_legs(legs_packed text, legs wallet_core.leg[]); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.bet_legs(legs_packed text, legs wallet_core.leg[]) IS 'The legs of a bet row, packed or not: wallet_core.bet_legs(b.legs_packed, b.legs).';

--
-- Name: bet_made_detail(bigint); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.bet_made_detail(bet_id bigint) RETURNS TABLE(detail jsonb)
    LANGUAGE sql STABLE ROWS 1
    AS $$...$$;  -- body: sql/functions/05_events.sql

ALTER FUNCTION wallet_core.bet_made_detail(bet_id bigint) OWNER TO wallet_owner;

--
-- Name: FUNCTION bet_made_detail(bet_id bigint); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.bet_made_detail(bet_id bigint) IS 'The detail of the bet.made event of a real-money make, built from its bet row: betslip_id, stake, odds (their text) and the number of selections, as wallet_core.make_bet wrote it before migration 0630. No row for a null bet_id. Read it as LEFT JOIN LATERAL wallet_core.bet_made_detail(CASE WHEN e.detail IS NULL AND e.type = ''bet.made'' THEN e.bet_id END) (wallet.events, wallet.unpublished_events).';

--
-- Name: bonus_journal_is_append_only(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.bonus_journal_is_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$...$$;  -- body: sql/migrations/0500_bonus_bets.sql

ALTER FUNCTION wallet_core.bonus_journal_is_append_only() OWNER TO wallet_owner;

--
-- Name: FUNCTION bonus_journal_is_append_only(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.bonus_journal_is_append_only() IS 'Trigger function: refuses UPDATE, DELETE and TRUNCATE on wallet_core.bonus_journal.';

--
-- Name: bonus_of_make(bigint, text, text, bigint); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.bonus_of_make(account_id bigint, bonus_id text, bonus_type text, stake bigint) RETURNS wallet_core.bonus_check
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/07_bonus_bets.sql

ALTER FUNCTION wallet_core.bonus_of_make(account_id bigint, bonus_id text, bonus_type text, stake bigint) OWNER TO wallet_owner;

--
-- Name: FUNCTION bonus_of_make(account_id bigint, bonus_id text, bonus_type text, stake bigint); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.bonus_of_make(account_id bigint, bonus_id text, bonus_type text, stake bigint) IS 'What a bet/make naming a bonus may do: the grant the account holds under that bonus_id (locked) and its policy, or a type that needs no grant; else the refusal: WA301 (unknown, another player''s or currency''s, revoked, expired, another type than the make''s bonus_type) or WA402 (a stake taken from the grant above what it has left). The caller holds the account''s lock.';

--
-- Name: booked_operations(timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.booked_operations(window_from timestamp with time zone, window_to timestamp with time zone) RETURNS TABLE(transaction_id text, operation text, player_id text, amount bigint, currency text, booked_at timestamp with time zone, bet_state text, bet_id bigint)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/40_books.sql

ALTER FUNCTION wallet_core.booked_operations(window_from timestamp with time zone, window_to timestamp with time zone) OWNER TO wallet_owner;

--
-- Name: FUNCTION booked_operations(window_from timestamp with time zone, window_to timestamp with time zone); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.booked_operations(window_from timestamp with time zone, window_to timestamp with time zone) IS 'The wallet''s side of the books: every make (operation bet, with the bet''s state as the provider names it) and every win, lost, refund and rollback the wallet took in [from, to), with what it moved.';

--
-- Name: change_time(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.change_time() RETURNS timestamp with time zone
    LANGUAGE sql PARALLEL SAFE
    AS $$...$$;  -- body: sql/migrations/0400_responsible_gambling.sql

ALTER FUNCTION wallet_core.change_time() OWNER TO wallet_owner;

--
-- Name: FUNCTION change_time(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.change_time() IS 'When a limit, exclusion or session change happens: the wall clock, read after the change took its locks, so a make that waited for the change is later than it and one that went first is earlier. clock_timestamp() in production; the tests replace it. Inlined by the planner.';

--
-- Name: check_limit_change(text, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.check_limit_change(kind text, reason text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet_core.check_limit_change(kind text, reason text) OWNER TO wallet_owner;

--
-- Name: FUNCTION check_limit_change(kind text, reason text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.check_limit_change(kind text, reason text) IS 'WA204 unless the kind is a limit kind and the reason is not blank.';

--
-- Name: check_window(timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.check_window(window_from timestamp with time zone, window_to timestamp with time zone) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/40_books.sql

ALTER FUNCTION wallet_core.check_window(window_from timestamp with time zone, window_to timestamp with time zone) OWNER TO wallet_owner;

--
-- Name: FUNCTION check_window(window_from timestamp with time zone, window_to timestamp with time zone); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.check_window(window_from timestamp with time zone, window_to timestamp with time zone) IS 'WA204 unless from < to, both given: the window of wallet.reconcile and wallet.money_report.';

--
-- Name: claim(wallet_core.operation); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.claim(op wallet_core.operation, OUT operation_id bigint, OUT status integer, OUT body jsonb) RETURNS record
    LANGUAGE plpgsql
    AS $$...$$;  -- body: sql/functions/02_idempotency.sql

ALTER FUNCTION wallet_core.claim(op wallet_core.operation, OUT operation_id bigint, OUT status integer, OUT body jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION claim(op wallet_core.operation, OUT operation_id bigint, OUT status integer, OUT body jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.claim(op wallet_core.operation, OUT operation_id bigint, OUT status integer, OUT body jsonb) IS 'Claims an operation key until the transaction ends. A new key: its new operation_id, status null. A key seen before: the stored answer if the content matches, or the WA205 conflict answer (not stored). A transaction key is looked up in wallet_core.idempotency, then among the bets: a make''s record is its bet row (its answer rebuilt from it).';

--
-- Name: now(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.now() RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/migrations/0400_responsible_gambling.sql

ALTER FUNCTION wallet_core.now() OWNER TO wallet_owner;

--
-- Name: FUNCTION now(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.now() IS 'The wallet''s clock for responsible gambling: the time of a make (the start of its transaction), of the journal rows, and of the windows. now() in production; the tests replace it to move time. Inlined by the planner.';

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: accounts; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.accounts (
    account_id bigint NOT NULL,
    player_id text NOT NULL,
    currency text NOT NULL,
    balance bigint NOT NULL,
    blocked boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    guarded boolean DEFAULT false NOT NULL
);

ALTER TABLE wallet_core.accounts OWNER TO wallet_owner;

--
-- Name: TABLE accounts; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.accounts IS 'One account per player and currency. The row is the only hot lock: every balance change locks it.';

--
-- Name: COLUMN accounts.balance; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.accounts.balance IS 'Minor units (cents). Equals the sum of the account''s journal; below zero only after a rollback.';

--
-- Name: COLUMN accounts.blocked; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.accounts.blocked IS 'Blocked players cannot make bets; settlements, discards and rollbacks still reach them.';

--
-- Name: COLUMN accounts.guarded; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.accounts.guarded IS 'True once the account has had a limit or its player an exclusion: bet/make then checks them, and the account''s counters (wallet_core.limit_counters) are kept. False: the make checks nothing more.';

--
-- Name: bets; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.bets (
    bet_id bigint NOT NULL,
    account_id bigint NOT NULL,
    make_transaction_id text NOT NULL,
    made boolean NOT NULL,
    state text NOT NULL,
    stake bigint NOT NULL,
    result text,
    settlement_transaction_id text,
    settled_amount bigint DEFAULT 0 NOT NULL,
    closing_status text,
    discard_reason text,
    betslip_id text,
    provider_player_id text,
    session_id text,
    bonus_id text,
    potential_win bigint,
    betslip_type text,
    odds numeric,
    is_quick_bet boolean,
    accept_odds_change boolean,
    placed_at timestamp with time zone,
    transaction_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT wallet_core.now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    bonus_stake bigint DEFAULT 0 NOT NULL,
    cross_rate_euro numeric,
    legs wallet_core.leg[],
    made_balance bigint,
    legs_packed text
);

ALTER TABLE wallet_core.bets OWNER TO wallet_owner;

--
-- Name: TABLE bets; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.bets IS 'Bet slips. A row with made = false is a discard marker: the provider discarded a make the wallet never saw, and a make arriving later with that id is refused. Its rules (the states and how state, result, settlement and closing status go together, the ranges) are checked by wallet.audit() (bet_rules), not by CHECK constraints (migration 0620).';

--
-- Name: COLUMN bets.bet_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.bet_id IS 'The wallet''s id of the bet, sent back by the provider as bet_transaction_id.';

--
-- Name: COLUMN bets.account_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.account_id IS 'The account the bet was made on (no foreign key: written under that account''s lock, and accounts are never deleted; wallet.audit() checks it, orphan_row).';

--
-- Name: COLUMN bets.make_transaction_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.make_transaction_id IS 'The provider''s transaction.id of the make.';

--
-- Name: COLUMN bets.state; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.state IS 'open -> accepted (commit) -> settled (win/lost/refund) -> closed (settlement); open -> discarded; rollback takes settled back to accepted.';

--
-- Name: COLUMN bets.result; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.result IS 'How the current settlement settled it; null while not settled.';

--
-- Name: COLUMN bets.settlement_transaction_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.settlement_transaction_id IS 'Provider id of the current win/lost/refund: what a rollback must name as parent_transaction_id.';

--
-- Name: COLUMN bets.settled_amount; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.settled_amount IS 'What the current settlement credited (0 for lost).';

--
-- Name: COLUMN bets.closing_status; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.closing_status IS 'The status bet/settlement closed the bet with.';

--
-- Name: COLUMN bets.provider_player_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.provider_player_id IS 'transaction.player_id: the provider''s own id of the player.';

--
-- Name: COLUMN bets.bonus_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.bonus_id IS 'The make''s bonus_id: the bonus the provider says the bet uses (wallet_core.bet_bonuses has the rest).';

--
-- Name: COLUMN bets.odds; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.odds IS 'betslip.k, stored exactly.';

--
-- Name: COLUMN bets.placed_at; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.placed_at IS 'betslip.timestamp: when the player placed the slip, by the provider.';

--
-- Name: COLUMN bets.transaction_at; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.transaction_at IS 'transaction.timestamp of the make: the provider''s time.';

--
-- Name: COLUMN bets.created_at; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.created_at IS 'When the wallet took the make: the wallet''s clock (wallet_core.now()), the time the reports use.';

--
-- Name: COLUMN bets.bonus_stake; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.bonus_stake IS 'The part of the stake taken from a bonus grant (0 for a real-money stake): the real balance was debited stake - bonus_stake.';

--
-- Name: COLUMN bets.cross_rate_euro; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.cross_rate_euro IS 'transaction.cross_rate_euro of the make, exactly as sent (an amount in this currency times it is the amount in euros); null when the provider sent none.';

--
-- Name: COLUMN bets.legs; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.legs IS 'The slip''s selections (betslip.bets[]) in the order sent, for a slip that could not be packed into bets.legs_packed (migration 0630), and for a bet made between 0610 and 0630 until wallet.pack_bet_rows() packed it; null for a discard marker, and for a bet made before migration 0610 until wallet.move_to_bet_rows() moved its wallet_core.selections rows here.';

--
-- Name: COLUMN bets.made_balance; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.made_balance IS 'The balance the make''s answer named (after its debit): with the bet row, the make''s stored answer, replayed byte for byte by wallet_core.claim. Null for a discard marker, and for a bet made before migration 0610 whose answer is still (or, purged, no longer) in wallet_core.idempotency.';

--
-- Name: COLUMN bets.legs_packed; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bets.legs_packed IS 'The slip''s selections (betslip.bets[]) in the order sent, packed (wallet_core.pack_leg, migration 0630); read them with wallet_core.unpack_legs. Null when the slip could not be packed (bets.legs holds it then), for a discard marker, and for a bet made before 0630 that wallet.pack_bet_rows() has not packed yet.';

--
-- Name: claim_bet(wallet_core.operation, text, text, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.claim_bet(op wallet_core.operation, bet_ref text, player_id text DEFAULT NULL::text, currency text DEFAULT NULL::text, OUT operation_id bigint, OUT answer wallet_core.reply, OUT bet wallet_core.bets, OUT account wallet_core.accounts) RETURNS record
    LANGUAGE plpgsql
    AS $_$...$_$;  -- body: sql/functions/04_bets.sql

ALTER FUNCTION wallet_core.claim_bet(op wallet_core.operation, bet_ref text, player_id text, currency text, OUT operation_id bigint, OUT answer wallet_core.reply, OUT bet wallet_core.bets, OUT account wallet_core.accounts) OWNER TO wallet_owner;

--
-- Name: FUNCTION claim_bet(op wallet_core.operation, bet_ref text, player_id text, currency text, OUT operation_id bigint, OUT answer wallet_core.reply, OUT bet wallet_core.bets, OUT account wallet_core.accounts); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.claim_bet(op wallet_core.operation, bet_ref text, player_id text, currency text, OUT operation_id bigint, OUT answer wallet_core.reply, OUT bet wallet_core.bets, OUT account wallet_core.accounts) IS 'How every operation on a made bet opens (commit, win, lost, refund, rollback, settlement): claims the operation key, locks the bet''s account, and checks in the contract''s order: 1006 unknown player, 2003 unknown bet, 2004 another player''s bet, 2002 another currency (a null player or currency is not checked). Returns the operation id, the locked bet and account, and an answer when the operation ends here: the stored answer of a replay, a conflict (2004), or the refusal (stored when the contract says so). A null answer: the caller goes on with the bet''s own checks. No SET clause: it runs only inside the route functions, which pin search_path to '''' (wallet_core.route, 15_route_shape.sql).';

--
-- Name: close_bet(wallet_core.bet_request); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.close_bet(request wallet_core.bet_request) RETURNS wallet_core.reply
    LANGUAGE sql
    AS $$...$$;  -- body: sql/functions/28_bet_settlement.sql

ALTER FUNCTION wallet_core.close_bet(request wallet_core.bet_request) OWNER TO wallet_owner;

--
-- Name: FUNCTION close_bet(request wallet_core.bet_request); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.close_bet(request wallet_core.bet_request) IS 'bet/settlement once read: claim (settlement, bet id) with the status as content, lock the bet''s account, settled -> closed with the status, emit bet.settled, answer (wallet_core.advance_bet). Inlined by the planner.';

--
-- Name: close_sessions(text, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.close_sessions(player_id text, why text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet_core.close_sessions(player_id text, why text) OWNER TO wallet_owner;

--
-- Name: FUNCTION close_sessions(player_id text, why text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.close_sessions(player_id text, why text) IS 'Closes every open session of a player, with why; emits session.closed for each.';

--
-- Name: commit_bet(wallet_core.bet_request); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.commit_bet(request wallet_core.bet_request) RETURNS wallet_core.reply
    LANGUAGE sql
    AS $$...$$;  -- body: sql/functions/22_bet_commit.sql

ALTER FUNCTION wallet_core.commit_bet(request wallet_core.bet_request) OWNER TO wallet_owner;

--
-- Name: FUNCTION commit_bet(request wallet_core.bet_request); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.commit_bet(request wallet_core.bet_request) IS 'bet/commit once read: claim (commit, bet id), lock the bet''s account, open -> accepted, emit bet.committed, answer (wallet_core.advance_bet). Inlined by the planner.';

--
-- Name: count_activity(bigint, bigint, bigint, bigint); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.count_activity(account_id bigint, stakes bigint, credits bigint, bets bigint) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet_core.count_activity(account_id bigint, stakes bigint, credits bigint, bets bigint) OWNER TO wallet_owner;

--
-- Name: FUNCTION count_activity(account_id bigint, stakes bigint, credits bigint, bets bigint); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.count_activity(account_id bigint, stakes bigint, credits bigint, bets bigint) IS 'Adds to a guarded account''s counters at the current minute: a make''s stake and one bet, or a credit (a rollback''s is negative). Returns the running total of stakes. The caller holds the account''s lock.';

--
-- Name: currency_pattern(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.currency_pattern() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $_$...$_$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.currency_pattern() OWNER TO wallet_owner;

--
-- Name: FUNCTION currency_pattern(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.currency_pattern() IS 'What a currency code is: 3 to 8 uppercase letters or digits (a regular expression).';

--
-- Name: decimal_pattern(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.decimal_pattern() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $_$...$_$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.decimal_pattern() OWNER TO wallet_owner;

--
-- Name: FUNCTION decimal_pattern(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.decimal_pattern() IS 'Odds given as a string: up to 12 digits, optionally a point and up to 12 more (a regular expression).';

--
-- Name: discard_bet(wallet_core.discard_request); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.discard_bet(request wallet_core.discard_request) RETURNS wallet_core.reply
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/23_bet_discard.sql

ALTER FUNCTION wallet_core.discard_bet(request wallet_core.discard_request) OWNER TO wallet_owner;

--
-- Name: FUNCTION discard_bet(request wallet_core.discard_request); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.discard_bet(request wallet_core.discard_request) IS 'bet/discard once read: claim the key; give an open bet''s stake back where it came from (the real balance, the bonus part to its grant), or leave a marker for a make never seen; answer.';

--
-- Name: emit_event(text, text, text, bigint, bigint, bigint, bigint, text, jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.emit_event(type text, player_id text, currency text, amount bigint, balance bigint, operation_id bigint DEFAULT NULL::bigint, bet_id bigint DEFAULT NULL::bigint, transaction_id text DEFAULT NULL::text, detail jsonb DEFAULT '{}'::jsonb) RETURNS bigint
    LANGUAGE plpgsql
    AS $$...$$;  -- body: sql/functions/05_events.sql

ALTER FUNCTION wallet_core.emit_event(type text, player_id text, currency text, amount bigint, balance bigint, operation_id bigint, bet_id bigint, transaction_id text, detail jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION emit_event(type text, player_id text, currency text, amount bigint, balance bigint, operation_id bigint, bet_id bigint, transaction_id text, detail jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.emit_event(type text, player_id text, currency text, amount bigint, balance bigint, operation_id bigint, bet_id bigint, transaction_id text, detail jsonb) IS 'Writes one event to the outbox in the caller''s transaction and returns its id. Holds the player''s event-order lock until commit, so one player''s event ids increase in commit order. Call it once per committed change, after the change''s own writes; never for a replay or a refusal.';

--
-- Name: error_answer(text, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.error_answer(state text, message text) RETURNS wallet_core.reply
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/01_answers.sql

ALTER FUNCTION wallet_core.error_answer(state text, message text) OWNER TO wallet_owner;

--
-- Name: FUNCTION error_answer(state text, message text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.error_answer(state text, message text) IS 'The provider''s error envelope {code, message} and HTTP status for a wallet SQLSTATE.';

--
-- Name: events; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.events (
    event_id bigint NOT NULL,
    type text NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    player_id text NOT NULL,
    currency text,
    amount bigint NOT NULL,
    balance bigint,
    operation_id bigint,
    bet_id bigint,
    transaction_id text,
    detail jsonb DEFAULT '{}'::jsonb,
    published_at timestamp with time zone
)
WITH (autovacuum_vacuum_scale_factor='0.02', autovacuum_vacuum_insert_scale_factor='0.02');

ALTER TABLE wallet_core.events OWNER TO wallet_owner;

--
-- Name: TABLE events; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.events IS 'The outbox: one event per committed change of a balance or a bet, written in the same transaction by wallet_core.emit_event(). `wallet relay` publishes them to RabbitMQ and sets published_at. No foreign keys on purpose: the outbox never locks the rows it describes. Read wallet.events.';

--
-- Name: COLUMN events.event_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.events.event_id IS 'Unique; for one player, increasing in the order the changes committed (emit_event holds a lock on the player until commit while it takes the id).';

--
-- Name: COLUMN events.type; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.events.type IS 'What happened, e.g. bet.made; the RabbitMQ routing key.';

--
-- Name: COLUMN events.occurred_at; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.events.occurred_at IS 'The timestamp of the transaction that made the change.';

--
-- Name: COLUMN events.currency; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.events.currency IS 'The account''s currency; null only for what concerns the player in every currency (block, unblock, exclusion, its lifting, sessions).';

--
-- Name: COLUMN events.amount; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.events.amount IS 'Signed change of the balance in minor units (0 when no money moved).';

--
-- Name: COLUMN events.balance; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.events.balance IS 'The account''s balance after the change; null for block/unblock.';

--
-- Name: COLUMN events.operation_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.events.operation_id IS 'The wallet''s id of the operation: the "id" the provider got in the answer.';

--
-- Name: COLUMN events.bet_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.events.bet_id IS 'The wallet''s id of the bet, if the change concerns one.';

--
-- Name: COLUMN events.transaction_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.events.transaction_id IS 'The provider''s id of the request that caused the change, if a provider caused it.';

--
-- Name: COLUMN events.detail; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.events.detail IS 'The event''s own fields (a JSON object). Null only for a bet.made event of a real-money make, whose detail its bet row holds (migration 0630): wallet_core.bet_made_detail builds it from there, for the message body and wallet.events.';

--
-- Name: COLUMN events.published_at; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.events.published_at IS 'When the relay saw the broker confirm the event; null while it waits in the outbox.';

--
-- Name: event_body(wallet_core.events); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.event_body(event wallet_core.events) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/05_events.sql

ALTER FUNCTION wallet_core.event_body(event wallet_core.events) OWNER TO wallet_owner;

--
-- Name: FUNCTION event_body(event wallet_core.events); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.event_body(event wallet_core.events) IS 'The event as RabbitMQ consumers receive it (the message body): the contract''s JSON object. For one event; readers of many join wallet_core.bet_made_detail and call event_body(event, detail).';

--
-- Name: event_body(wallet_core.events, jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.event_body(event wallet_core.events, detail jsonb) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$...$$;  -- body: sql/functions/05_events.sql

ALTER FUNCTION wallet_core.event_body(event wallet_core.events, detail jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION event_body(event wallet_core.events, detail jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.event_body(event wallet_core.events, detail jsonb) IS 'The event as RabbitMQ consumers receive it (the message body): the contract''s JSON object, with the event''s detail (events.detail, or what wallet_core.bet_made_detail builds).';

--
-- Name: event_detail(wallet_core.events); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.event_detail(event wallet_core.events) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/05_events.sql

ALTER FUNCTION wallet_core.event_detail(event wallet_core.events) OWNER TO wallet_owner;

--
-- Name: FUNCTION event_detail(event wallet_core.events); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.event_detail(event wallet_core.events) IS 'An event''s detail: its own (events.detail), or for a bet.made event without one (migration 0630) what its bet row holds (wallet_core.bet_made_detail). For one event; readers of many join.';

--
-- Name: expect_equal(text, anycompatible, anycompatible); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.expect_equal(field text, value anycompatible, other anycompatible) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_validation.sql

ALTER FUNCTION wallet_core.expect_equal(field text, value anycompatible, other anycompatible) OWNER TO wallet_owner;

--
-- Name: FUNCTION expect_equal(field text, value anycompatible, other anycompatible); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.expect_equal(field text, value anycompatible, other anycompatible) IS 'WA204 naming the field when two values that must agree (both present) differ.';

--
-- Name: fits_id(text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.fits_id(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.fits_id(value text) OWNER TO wallet_owner;

--
-- Name: FUNCTION fits_id(value text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.fits_id(value text) IS 'True when the text is 1 to wallet_core.max_id_length() characters long; null for null. Inlined by the planner.';

--
-- Name: fits_text(text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.fits_text(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.fits_text(value text) OWNER TO wallet_owner;

--
-- Name: FUNCTION fits_text(value text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.fits_text(value text) IS 'True when the text is at most wallet_core.max_text_length() characters long; null for null. Inlined by the planner.';

--
-- Name: is_absent(jsonb, text, boolean); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.is_absent(value jsonb, field text, required boolean) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_validation.sql

ALTER FUNCTION wallet_core.is_absent(value jsonb, field text, required boolean) OWNER TO wallet_owner;

--
-- Name: FUNCTION is_absent(value jsonb, field text, required boolean); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.is_absent(value jsonb, field text, required boolean) IS 'True when an optional field is absent (missing or JSON null); WA204 when a required one is.';

--
-- Name: is_amount(jsonb, boolean); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.is_amount(value jsonb, optional boolean DEFAULT false) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.is_amount(value jsonb, optional boolean) OWNER TO wallet_owner;

--
-- Name: FUNCTION is_amount(value jsonb, optional boolean); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.is_amount(value jsonb, optional boolean) IS 'True when the value is a JSON integer from 0 to wallet_core.max_amount(), or absent (missing or JSON null) and optional. Inlined by the planner.';

--
-- Name: is_currency(jsonb, boolean); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.is_currency(value jsonb, optional boolean DEFAULT false) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.is_currency(value jsonb, optional boolean) OWNER TO wallet_owner;

--
-- Name: FUNCTION is_currency(value jsonb, optional boolean); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.is_currency(value jsonb, optional boolean) IS 'True when the value is a JSON string that is a currency code (wallet_core.currency_pattern()), or absent and optional. Inlined by the planner.';

--
-- Name: is_id_string(jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.is_id_string(value jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.is_id_string(value jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION is_id_string(value jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.is_id_string(value jsonb) IS 'True when the value is an id in its usual form: a JSON string of 1 to wallet_core.max_id_length() characters (wallet_core.as_id also takes a non-negative JSON integer). Inlined by the planner.';

--
-- Name: is_odds(jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.is_odds(value jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.is_odds(value jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION is_odds(value jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.is_odds(value jsonb) IS 'True when the value is odds: a JSON number, or a decimal string (wallet_core.decimal_pattern()), positive and below wallet_core.odds_limit(). Inlined by the planner.';

--
-- Name: is_text(jsonb, boolean); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.is_text(value jsonb, optional boolean DEFAULT false) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.is_text(value jsonb, optional boolean) OWNER TO wallet_owner;

--
-- Name: FUNCTION is_text(value jsonb, optional boolean); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.is_text(value jsonb, optional boolean) IS 'True when the value is a JSON string of at most wallet_core.max_text_length() characters, or absent and optional. Inlined by the planner.';

--
-- Name: is_unix_seconds(jsonb, boolean); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.is_unix_seconds(value jsonb, optional boolean DEFAULT false) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.is_unix_seconds(value jsonb, optional boolean) OWNER TO wallet_owner;

--
-- Name: FUNCTION is_unix_seconds(value jsonb, optional boolean); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.is_unix_seconds(value jsonb, optional boolean) IS 'True when the value is a JSON number of unix seconds from 0 to below wallet_core.unix_seconds_limit(), or absent and optional. Inlined by the planner.';

--
-- Name: is_usual_make(jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.is_usual_make(request jsonb) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/21_bet_make.sql

ALTER FUNCTION wallet_core.is_usual_make(request jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION is_usual_make(request jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.is_usual_make(request jsonb) IS 'True when every field of a bet/make request has its usual JSON type (ids and names strings, amounts integers, odds numbers or decimal strings, times numbers, flags booleans), is within its range and equals what it must equal (wallet_core.usual_make_path(), and no amount with a fraction). Lengths are not checked here. False for anything else. Inlined by the planner.';

--
-- Name: journal_is_append_only(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.journal_is_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$...$$;  -- body: sql/migrations/0002_ledger.sql

ALTER FUNCTION wallet_core.journal_is_append_only() OWNER TO wallet_owner;

--
-- Name: FUNCTION journal_is_append_only(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.journal_is_append_only() IS 'Trigger function: refuses UPDATE, DELETE and TRUNCATE on the journal.';

--
-- Name: journal_mark(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.journal_mark() RETURNS bigint
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet_core.journal_mark() OWNER TO wallet_owner;

--
-- Name: FUNCTION journal_mark(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.journal_mark() IS 'The newest journal entry this transaction sees. Read by a change under the player''s locks: the player''s later entries all have larger ids (wallet_core.control_changes.journal_mark).';

--
-- Name: keep_settle_fields(wallet_core.settle_request, jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.keep_settle_fields(read wallet_core.settle_request, request jsonb) RETURNS wallet_core.settle_request
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/07_kept_fields.sql

ALTER FUNCTION wallet_core.keep_settle_fields(read wallet_core.settle_request, request jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION keep_settle_fields(read wallet_core.settle_request, request jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.keep_settle_fields(read wallet_core.settle_request, request jsonb) IS 'The typed bet/win, bet/lost or bet/refund request with what the books keep from the raw request: transaction.cross_rate_euro, transaction.timestamp, and for win and lost the top-level odds and the legs (selections). Both settle readers end with it, so they agree.';

--
-- Name: kept_decimal(jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.kept_decimal(value jsonb) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/07_kept_fields.sql

ALTER FUNCTION wallet_core.kept_decimal(value jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION kept_decimal(value jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.kept_decimal(value jsonb) IS 'A positive decimal (a JSON number or decimal string, as wallet_core.is_odds accepts) as an exact numeric; null for anything else. Inlined by the planner.';

--
-- Name: kept_legs(jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.kept_legs(selections jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/07_kept_fields.sql

ALTER FUNCTION wallet_core.kept_legs(selections jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION kept_legs(selections jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.kept_legs(selections jsonb) IS 'The selections of a bet/win or bet/lost as kept: [{id, event_id, status, odds}] in the order sent, each field kept when it has its usual type (ids and status cut to the id length, odds a positive decimal, kept as sent); objects only, at most 100; null when selections is not an array.';

--
-- Name: kept_time(jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.kept_time(value jsonb) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/07_kept_fields.sql

ALTER FUNCTION wallet_core.kept_time(value jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION kept_time(value jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.kept_time(value jsonb) IS 'Unix seconds sent as a JSON number (as wallet_core.is_unix_seconds accepts) as a timestamptz; null for anything else. Inlined by the planner.';

--
-- Name: limit_refusal(bigint, text, text, bigint); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.limit_refusal(account_id bigint, player_id text, currency text, stake bigint) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet_core.limit_refusal(account_id bigint, player_id text, currency text, stake bigint) OWNER TO wallet_owner;

--
-- Name: FUNCTION limit_refusal(account_id bigint, player_id text, currency text, stake bigint); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.limit_refusal(account_id bigint, player_id text, currency text, stake bigint) IS 'Why a guarded account may not make a bet of this stake now: its player''s exclusion, or the first limit it would exceed (which limit, its window, the player''s own amounts); null when it may. Reads index probes only: the exclusion, the limits, the newest counter row and one row per window.';

--
-- Name: locked_account(text, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.locked_account(player_id text, currency text) RETURNS wallet_core.accounts
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet_core.locked_account(player_id text, currency text) OWNER TO wallet_owner;

--
-- Name: FUNCTION locked_account(player_id text, currency text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.locked_account(player_id text, currency text) IS 'The player''s account in the currency, locked as bet/make locks it; WA006 or WA202 when there is none.';

--
-- Name: make_bet(wallet_core.make_request); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.make_bet(request wallet_core.make_request) RETURNS wallet_core.reply
    LANGUAGE plpgsql
    AS $$...$$;  -- body: sql/functions/21_bet_make.sql

ALTER FUNCTION wallet_core.make_bet(request wallet_core.make_request) OWNER TO wallet_owner;

--
-- Name: FUNCTION make_bet(request wallet_core.make_request); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.make_bet(request wallet_core.make_request) IS 'bet/make once read: claim the key; pack the legs, check the reference data, wait in the player''s make queue, lock the account; a usual make then debits, writes the bet and its journal row in one statement. Any other: read the bonus it names (only when bonus_id is given), check (1006, 2002, 1005, 4001 excluded or over a limit (guarded accounts only), 1007 (session_check enforce only), 2004 discarded first, 3001 bonus not held, 4002 above what the grant has left, 2001), write the bet (its selections and its answer''s balance in its row: the bet row is the make''s idempotency record) and its reference data, post the real part of the stake and take the bonus part from the grant, count it (guarded accounts), emit bet.made, answer.';

--
-- Name: max_amount(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.max_amount() RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.max_amount() OWNER TO wallet_owner;

--
-- Name: FUNCTION max_amount(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.max_amount() IS 'The largest amount the wallet accepts, in minor units: 10^15 (an amount is an integer from 0 to it).';

--
-- Name: max_id_length(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.max_id_length() RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.max_id_length() OWNER TO wallet_owner;

--
-- Name: FUNCTION max_id_length(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.max_id_length() IS 'The longest id the wallet accepts: 128 characters (an id is 1 to 128 characters).';

--
-- Name: move_bonus(bigint, text, bigint, bigint, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.move_bonus(grant_id bigint, operation text, amount bigint, bet_id bigint, transaction_id text) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/07_bonus_bets.sql

ALTER FUNCTION wallet_core.move_bonus(grant_id bigint, operation text, amount bigint, bet_id bigint, transaction_id text) OWNER TO wallet_owner;

--
-- Name: FUNCTION move_bonus(grant_id bigint, operation text, amount bigint, bet_id bigint, transaction_id text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.move_bonus(grant_id bigint, operation text, amount bigint, bet_id bigint, transaction_id text) IS 'Moves bonus money: adds the signed amount to the grant''s remainder and appends its bonus_journal row (bet: negative; discard, refund: positive; rollback: negative). The only writer of remainders after the grant; the caller holds the account''s lock. Returns the remainder after.';

--
-- Name: new_make_request(text, text, text, bigint, text, text, bigint, text, text, timestamp with time zone, timestamp with time zone, text, numeric, boolean, boolean, wallet_core.selection_request[], text, numeric); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.new_make_request(transaction_id text, player_id text, currency text, amount bigint, session_id text, bonus_id text, potential_win bigint, betslip_id text, provider_player_id text, transaction_at timestamp with time zone, placed_at timestamp with time zone, betslip_type text, odds numeric, is_quick_bet boolean, accept_odds_change boolean, selections wallet_core.selection_request[], bonus_type text, cross_rate_euro numeric) RETURNS wallet_core.make_request
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/21_bet_make.sql

ALTER FUNCTION wallet_core.new_make_request(transaction_id text, player_id text, currency text, amount bigint, session_id text, bonus_id text, potential_win bigint, betslip_id text, provider_player_id text, transaction_at timestamp with time zone, placed_at timestamp with time zone, betslip_type text, odds numeric, is_quick_bet boolean, accept_odds_change boolean, selections wallet_core.selection_request[], bonus_type text, cross_rate_euro numeric) OWNER TO wallet_owner;

--
-- Name: FUNCTION new_make_request(transaction_id text, player_id text, currency text, amount bigint, session_id text, bonus_id text, potential_win bigint, betslip_id text, provider_player_id text, transaction_at timestamp with time zone, placed_at timestamp with time zone, betslip_type text, odds numeric, is_quick_bet boolean, accept_odds_change boolean, selections wallet_core.selection_request[], bonus_type text, cross_rate_euro numeric); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.new_make_request(transaction_id text, player_id text, currency text, amount bigint, session_id text, bonus_id text, potential_win bigint, betslip_id text, provider_player_id text, transaction_at timestamp with time zone, placed_at timestamp with time zone, betslip_type text, odds numeric, is_quick_bet boolean, accept_odds_change boolean, selections wallet_core.selection_request[], bonus_type text, cross_rate_euro numeric) IS 'A wallet_core.make_request from named arguments. Inlined by the planner.';

--
-- Name: new_operation(text, text, text, text, bigint, text, text, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.new_operation(kind text, key text, route text, player_id text DEFAULT NULL::text, amount bigint DEFAULT NULL::bigint, currency text DEFAULT NULL::text, parent text DEFAULT NULL::text, detail text DEFAULT NULL::text) RETURNS wallet_core.operation
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/02_idempotency.sql

ALTER FUNCTION wallet_core.new_operation(kind text, key text, route text, player_id text, amount bigint, currency text, parent text, detail text) OWNER TO wallet_owner;

--
-- Name: FUNCTION new_operation(kind text, key text, route text, player_id text, amount bigint, currency text, parent text, detail text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.new_operation(kind text, key text, route text, player_id text, amount bigint, currency text, parent text, detail text) IS 'An operation''s key and the content a replay must match, called with named arguments (kind => ''transaction'', key => ..., route => ''bet/make'', player_id => ...); what a route does not name is null. Inlined by the planner.';

--
-- Name: new_selection_request(integer, text, text, text, text, text, text, text, text, text[], text, text, timestamp with time zone, boolean, numeric); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.new_selection_request(ordinal integer, selection_id text, event_id text, sport_id text, sport_name text, category_id text, category_name text, tournament_id text, tournament_name text, competitor_names text[], market_name text, outcome_name text, scheduled_at timestamp with time zone, live boolean, odds numeric) RETURNS wallet_core.selection_request
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/21_bet_make.sql

ALTER FUNCTION wallet_core.new_selection_request(ordinal integer, selection_id text, event_id text, sport_id text, sport_name text, category_id text, category_name text, tournament_id text, tournament_name text, competitor_names text[], market_name text, outcome_name text, scheduled_at timestamp with time zone, live boolean, odds numeric) OWNER TO wallet_owner;

--
-- Name: FUNCTION new_selection_request(ordinal integer, selection_id text, event_id text, sport_id text, sport_name text, category_id text, category_name text, tournament_id text, tournament_name text, competitor_names text[], market_name text, outcome_name text, scheduled_at timestamp with time zone, live boolean, odds numeric); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.new_selection_request(ordinal integer, selection_id text, event_id text, sport_id text, sport_name text, category_id text, category_name text, tournament_id text, tournament_name text, competitor_names text[], market_name text, outcome_name text, scheduled_at timestamp with time zone, live boolean, odds numeric) IS 'A wallet_core.selection_request from named arguments (ordinal is its field position). Inlined by the planner.';

--
-- Name: new_settle_request(text, text, text, bigint, text, text, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.new_settle_request(transaction_id text, player_id text, bet_ref text, amount bigint, currency text, reason text, result text) RETURNS wallet_core.settle_request
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/16_settle.sql

ALTER FUNCTION wallet_core.new_settle_request(transaction_id text, player_id text, bet_ref text, amount bigint, currency text, reason text, result text) OWNER TO wallet_owner;

--
-- Name: FUNCTION new_settle_request(transaction_id text, player_id text, bet_ref text, amount bigint, currency text, reason text, result text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.new_settle_request(transaction_id text, player_id text, bet_ref text, amount bigint, currency text, reason text, result text) IS 'A wallet_core.settle_request from named arguments. Inlined by the planner.';

--
-- Name: odds_limit(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.odds_limit() RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.odds_limit() OWNER TO wallet_owner;

--
-- Name: FUNCTION odds_limit(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.odds_limit() IS 'The first odds the wallet does not accept: 10^12 (odds are positive and below it).';

--
-- Name: operation_answer(bigint, text, bigint, text, text, bigint, text, bigint); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.operation_answer(operation_id bigint, ext_transaction_id text, parent_transaction_id bigint, user_id text, operation text, amount bigint, currency text, balance bigint) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/01_answers.sql

ALTER FUNCTION wallet_core.operation_answer(operation_id bigint, ext_transaction_id text, parent_transaction_id bigint, user_id text, operation text, amount bigint, currency text, balance bigint) OWNER TO wallet_owner;

--
-- Name: FUNCTION operation_answer(operation_id bigint, ext_transaction_id text, parent_transaction_id bigint, user_id text, operation text, amount bigint, currency text, balance bigint); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.operation_answer(operation_id bigint, ext_transaction_id text, parent_transaction_id bigint, user_id text, operation text, amount bigint, currency text, balance bigint) IS 'The success body every route but balance answers with, called with named arguments. Inlined by the planner.';

--
-- Name: pack_leg(timestamp with time zone, boolean, text, text, text, text, text, text, text, numeric, jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.pack_leg(scheduled_at timestamp with time zone, live boolean, selection_id text, event_id text, sport_id text, category_id text, tournament_id text, market_name text, outcome_name text, odds numeric, competitor_names jsonb) RETURNS text
    LANGUAGE sql STABLE
    AS $$...$$;  -- body: sql/functions/04_bets.sql

ALTER FUNCTION wallet_core.pack_leg(scheduled_at timestamp with time zone, live boolean, selection_id text, event_id text, sport_id text, category_id text, tournament_id text, market_name text, outcome_name text, odds numeric, competitor_names jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION pack_leg(scheduled_at timestamp with time zone, live boolean, selection_id text, event_id text, sport_id text, category_id text, tournament_id text, market_name text, outcome_name text, odds numeric, competitor_names jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.pack_leg(scheduled_at timestamp with time zone, live boolean, selection_id text, event_id text, sport_id text, category_id text, tournament_id text, market_name text, outcome_name text, odds numeric, competitor_names jsonb) IS 'One leg of a slip packed for bets.legs_packed (migration 0630): its 11 fields separated by U+001F. Join the legs with U+001F, and keep the result only if wallet_core.packs says so.';

--
-- Name: pack_legs(wallet_core.leg[]); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.pack_legs(legs wallet_core.leg[]) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/04_bets.sql

ALTER FUNCTION wallet_core.pack_legs(legs wallet_core.leg[]) OWNER TO wallet_owner;

--
-- Name: FUNCTION pack_legs(legs wallet_core.leg[]); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.pack_legs(legs wallet_core.leg[]) IS 'A wallet_core.leg[] packed for bets.legs_packed (wallet.pack_bet_rows); null when it cannot be packed. The caller checks that wallet_core.unpack_legs gives back the same text.';

--
-- Name: packed_fields(text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.packed_fields(packed text) RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$...$$;  -- body: sql/functions/04_bets.sql

ALTER FUNCTION wallet_core.packed_fields(packed text) OWNER TO wallet_owner;

--
-- Name: FUNCTION packed_fields(packed text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.packed_fields(packed text) IS 'How many fields a text packed by wallet_core.pack_leg holds (its U+001F separators, plus one): 11 a leg. Null for null. Inlined by the planner.';

--
-- Name: packed_legs(text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.packed_legs(packed text) RETURNS TABLE(n integer, scheduled_at timestamp with time zone, live boolean, selection_id text, event_id text, sport_id text, category_id text, tournament_id text, market_name text, outcome_name text, odds numeric, competitor_names jsonb)
    LANGUAGE sql STABLE
    AS $$...$$;  -- body: sql/functions/04_bets.sql

ALTER FUNCTION wallet_core.packed_legs(packed text) OWNER TO wallet_owner;

--
-- Name: FUNCTION packed_legs(packed text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.packed_legs(packed text) IS 'The legs of bets.legs_packed (wallet_core.pack_leg), one row each in the order sent (n from 1), with the fields of wallet_core.leg: the same values, the same text.';

--
-- Name: packs(text, integer); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.packs(packed text, legs integer) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$...$$;  -- body: sql/functions/04_bets.sql

ALTER FUNCTION wallet_core.packs(packed text, legs integer) OWNER TO wallet_owner;

--
-- Name: FUNCTION packs(packed text, legs integer); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.packs(packed text, legs integer) IS 'Whether legs packed by wallet_core.pack_leg (joined with U+001F) are exactly these legs: 11 fields each, none holding U+001F, so that wallet_core.unpack_legs gives them back the same.';

--
-- Name: player_balance(wallet_core.balance_request); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.player_balance(request wallet_core.balance_request) RETURNS wallet_core.reply
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/20_player_balance.sql

ALTER FUNCTION wallet_core.player_balance(request wallet_core.balance_request) OWNER TO wallet_owner;

--
-- Name: FUNCTION player_balance(request wallet_core.balance_request); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.player_balance(request wallet_core.balance_request) IS 'balance once read: {user_id, currency, balance}, or 1006/2002 when there is no such account.';

--
-- Name: player_refusal(text, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.player_refusal(player_id text, currency text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/03_ledger.sql

ALTER FUNCTION wallet_core.player_refusal(player_id text, currency text) OWNER TO wallet_owner;

--
-- Name: FUNCTION player_refusal(player_id text, currency text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.player_refusal(player_id text, currency text) IS 'Why a player/currency has no account: WA006 when the player has none at all, WA202 when not in that currency; null when the account exists.';

--
-- Name: post(bigint, text, bigint, text, bigint, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.post(account_id bigint, operation text, amount bigint, transaction_id text DEFAULT NULL::text, bet_id bigint DEFAULT NULL::bigint, reason text DEFAULT NULL::text) RETURNS wallet_core.accounts
    LANGUAGE plpgsql
    AS $$...$$;  -- body: sql/functions/03_ledger.sql

ALTER FUNCTION wallet_core.post(account_id bigint, operation text, amount bigint, transaction_id text, bet_id bigint, reason text) OWNER TO wallet_owner;

--
-- Name: FUNCTION post(account_id bigint, operation text, amount bigint, transaction_id text, bet_id bigint, reason text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.post(account_id bigint, operation text, amount bigint, transaction_id text, bet_id bigint, reason text) IS 'Moves money: adds the signed amount to the account''s balance and appends its journal row with the balance after. The writer of balances (with the usual make''s one statement in wallet_core.make_bet, which writes a stake and its journal row together the same way); the caller holds the account''s lock. Returns the account. Refuses (23514) what the journal''s rules forbid: an unknown operation, an amount of the wrong sign, a debit below zero.';

--
-- Name: read_balance(jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.read_balance(request jsonb) RETURNS wallet_core.balance_request
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/20_player_balance.sql

ALTER FUNCTION wallet_core.read_balance(request jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION read_balance(request jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.read_balance(request jsonb) IS 'A balance request, typed; WA204/WA202 naming the field when it is malformed.';

--
-- Name: read_commit(jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.read_commit(request jsonb) RETURNS wallet_core.bet_request
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/22_bet_commit.sql

ALTER FUNCTION wallet_core.read_commit(request jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION read_commit(request jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.read_commit(request jsonb) IS 'A bet/commit request, typed; WA204 naming the field when it is malformed.';

--
-- Name: read_discard(jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.read_discard(request jsonb) RETURNS wallet_core.discard_request
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/23_bet_discard.sql

ALTER FUNCTION wallet_core.read_discard(request jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION read_discard(request jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.read_discard(request jsonb) IS 'A bet/discard request, typed; WA204 naming the field when it is malformed.';

--
-- Name: read_make(jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.read_make(request jsonb) RETURNS wallet_core.make_request
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/21_bet_make.sql

ALTER FUNCTION wallet_core.read_make(request jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION read_make(request jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.read_make(request jsonb) IS 'A bet/make request, typed: in one step when it is usual, field by field otherwise. WA204/WA202 naming the field when it is malformed. Inlined by the planner.';

--
-- Name: read_make_quickly(jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.read_make_quickly(request jsonb) RETURNS wallet_core.make_request
    LANGUAGE plpgsql STABLE
    AS $$...$$;  -- body: sql/functions/21_bet_make.sql

ALTER FUNCTION wallet_core.read_make_quickly(request jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION read_make_quickly(request jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.read_make_quickly(request jsonb) IS 'bet/make''s fast reader: when every field has its usual JSON type (ids and names strings, amounts integers, odds numbers or decimal strings, times numbers) and is within its limits, the typed request in one step; otherwise null, and wallet_core.read_make_slowly reads it field by field. Never refuses.';

--
-- Name: read_make_slowly(jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.read_make_slowly(request jsonb) RETURNS wallet_core.make_request
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/21_bet_make.sql

ALTER FUNCTION wallet_core.read_make_slowly(request jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION read_make_slowly(request jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.read_make_slowly(request jsonb) IS 'bet/make''s reader, field by field: the typed request, or WA204/WA202 naming the first bad field (betslip.bets[2].odds: ...). Accepts what wallet_core.read_make_quickly accepts, with the same values, and also numeric ids and times given as decimal strings.';

--
-- Name: read_rollback(jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.read_rollback(request jsonb) RETURNS wallet_core.rollback_request
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/27_bet_rollback.sql

ALTER FUNCTION wallet_core.read_rollback(request jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION read_rollback(request jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.read_rollback(request jsonb) IS 'A bet/rollback request, typed; WA204/WA202 naming the field when it is malformed.';

--
-- Name: read_settle(jsonb, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.read_settle(request jsonb, operation text) RETURNS wallet_core.settle_request
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/16_settle.sql

ALTER FUNCTION wallet_core.read_settle(request jsonb, operation text) OWNER TO wallet_owner;

--
-- Name: FUNCTION read_settle(request jsonb, operation text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.read_settle(request jsonb, operation text) IS 'A bet/win, bet/lost or bet/refund request, typed: in one step when it is usual, field by field otherwise. WA204/WA202 naming the field when it is malformed. Inlined by the planner.';

--
-- Name: read_settle_quickly(jsonb, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.read_settle_quickly(request jsonb, operation text) RETURNS wallet_core.settle_request
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/16_settle.sql

ALTER FUNCTION wallet_core.read_settle_quickly(request jsonb, operation text) OWNER TO wallet_owner;

--
-- Name: FUNCTION read_settle_quickly(request jsonb, operation text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.read_settle_quickly(request jsonb, operation text) IS 'The fast reader of bet/win, bet/lost and bet/refund: the typed request when every field has its usual JSON type, range and agreement; otherwise null, and wallet_core.read_settle_slowly reads it. Never refuses.';

--
-- Name: read_settle_slowly(jsonb, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.read_settle_slowly(request jsonb, operation text) RETURNS wallet_core.settle_request
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/16_settle.sql

ALTER FUNCTION wallet_core.read_settle_slowly(request jsonb, operation text) OWNER TO wallet_owner;

--
-- Name: FUNCTION read_settle_slowly(request jsonb, operation text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.read_settle_slowly(request jsonb, operation text) IS 'A bet/win, bet/lost or bet/refund request, typed field by field, with the result it settles the bet as (won, cashed_out, lost, refunded); WA204/WA202 naming the field when it is malformed.';

--
-- Name: read_settlement(jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.read_settlement(request jsonb) RETURNS wallet_core.bet_request
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/28_bet_settlement.sql

ALTER FUNCTION wallet_core.read_settlement(request jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION read_settlement(request jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.read_settlement(request jsonb) IS 'A bet/settlement request, typed; WA204 naming the field when it is malformed.';

--
-- Name: real_credit(text, bigint, bigint, bigint, boolean); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.real_credit(result text, amount bigint, stake bigint, bonus_stake bigint, win_net boolean) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/07_bonus_bets.sql

ALTER FUNCTION wallet_core.real_credit(result text, amount bigint, stake bigint, bonus_stake bigint, win_net boolean) OWNER TO wallet_owner;

--
-- Name: FUNCTION real_credit(result text, amount bigint, stake bigint, bonus_stake bigint, win_net boolean); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.real_credit(result text, amount bigint, stake bigint, bonus_stake bigint, win_net boolean) IS 'What a settlement (result won, cashed_out, refunded or lost, of the provider''s amount) credits to the real balance of a bet with this stake, bonus stake and win policy: a win its amount, or its amount less the stake (never below 0) when win_net; a refund what exceeds the bonus stake (that part goes back to the grant); a loss nothing. For a bet without a bonus: the amount. Inlined by the planner.';

--
-- Name: reconcile_margin(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.reconcile_margin() RETURNS interval
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/40_books.sql

ALTER FUNCTION wallet_core.reconcile_margin() OWNER TO wallet_owner;

--
-- Name: FUNCTION reconcile_margin(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.reconcile_margin() IS 'How close to an edge of wallet.reconcile''s window an operation present on one side only is not a difference: 5 minutes (the other side may have it just across the edge).';

--
-- Name: record_limit_change(wallet_core.accounts, timestamp with time zone, text, text, bigint, bigint, timestamp with time zone, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.record_limit_change(account wallet_core.accounts, at timestamp with time zone, action text, kind text, previous bigint, amount bigint, effective timestamp with time zone, reason text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet_core.record_limit_change(account wallet_core.accounts, at timestamp with time zone, action text, kind text, previous bigint, amount bigint, effective timestamp with time zone, reason text) OWNER TO wallet_owner;

--
-- Name: FUNCTION record_limit_change(account wallet_core.accounts, at timestamp with time zone, action text, kind text, previous bigint, amount bigint, effective timestamp with time zone, reason text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.record_limit_change(account wallet_core.accounts, at timestamp with time zone, action text, kind text, previous bigint, amount bigint, effective timestamp with time zone, reason text) IS 'A limit change of set_limit or remove_limit (action limit.set or limit.removed): its row in the append-only history, with who and the journal mark, and its event.';

--
-- Name: record_references(wallet_core.selection_request[]); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.record_references(selections wallet_core.selection_request[]) RETURNS void
    LANGUAGE plpgsql
    AS $$...$$;  -- body: sql/functions/04_bets.sql

ALTER FUNCTION wallet_core.record_references(selections wallet_core.selection_request[]) OWNER TO wallet_owner;

--
-- Name: FUNCTION record_references(selections wallet_core.selection_request[]); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.record_references(selections wallet_core.selection_request[]) IS 'Makes the sports, categories and tournaments a bet slip names exist under the names it gives: inserts the new ones and renames changed ones, deadlock-free by fixed key order. Writes nothing when they all exist under those names; wallet_core.make_bet calls it only when they do not.';

--
-- Name: refuse(wallet_core.operation, bigint, text, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.refuse(op wallet_core.operation, operation_id bigint, state text, message text) RETURNS wallet_core.reply
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/02_idempotency.sql

ALTER FUNCTION wallet_core.refuse(op wallet_core.operation, operation_id bigint, state text, message text) OWNER TO wallet_owner;

--
-- Name: FUNCTION refuse(op wallet_core.operation, operation_id bigint, state text, message text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.refuse(op wallet_core.operation, operation_id bigint, state text, message text) IS 'Answers a claimed operation with a refusal. Stores it for replay when wallet_core.error_codes says so (1005, 1006, 2001, 2002, 2004 for a state the bet does not allow); otherwise stores nothing.';

--
-- Name: refuse_rewriting_history(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.refuse_rewriting_history() RETURNS trigger
    LANGUAGE plpgsql
    AS $$...$$;  -- body: sql/migrations/0400_responsible_gambling.sql

ALTER FUNCTION wallet_core.refuse_rewriting_history() OWNER TO wallet_owner;

--
-- Name: FUNCTION refuse_rewriting_history(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.refuse_rewriting_history() IS 'Trigger function: refuses UPDATE, DELETE and TRUNCATE on wallet_core.control_changes.';

--
-- Name: reject(text, text, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.reject(field text, problem text, state text DEFAULT 'WA204'::text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_validation.sql

ALTER FUNCTION wallet_core.reject(field text, problem text, state text) OWNER TO wallet_owner;

--
-- Name: FUNCTION reject(field text, problem text, state text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.reject(field text, problem text, state text) IS 'Raises a malformed-request error (WA204, or WA202 for a malformed currency) naming the field.';

--
-- Name: remember(wallet_core.operation, bigint, integer, jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.remember(op wallet_core.operation, operation_id bigint, status integer, answer jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/02_idempotency.sql

ALTER FUNCTION wallet_core.remember(op wallet_core.operation, operation_id bigint, status integer, answer jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION remember(op wallet_core.operation, operation_id bigint, status integer, answer jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.remember(op wallet_core.operation, operation_id bigint, status integer, answer jsonb) IS 'Stores an operation''s answer with its key and content, for replay: the one write of idempotency.';

--
-- Name: reported_state(text, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.reported_state(state text, result text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/40_books.sql

ALTER FUNCTION wallet_core.reported_state(state text, result text) OWNER TO wallet_owner;

--
-- Name: FUNCTION reported_state(state text, result text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.reported_state(state text, result text) IS 'A bet''s state as the provider''s file names it: open, accepted, discarded, or its result (won, cashed_out, lost, refunded) once settled, closed or not. Inlined by the planner.';

--
-- Name: require_player(text, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.require_player(player_id text, currency text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/40_books.sql

ALTER FUNCTION wallet_core.require_player(player_id text, currency text) OWNER TO wallet_owner;

--
-- Name: FUNCTION require_player(player_id text, currency text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.require_player(player_id text, currency text) IS 'WA006 when the player has no account, WA202 when none in that currency (a null currency is not checked).';

--
-- Name: roll_back_bet(wallet_core.rollback_request); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.roll_back_bet(request wallet_core.rollback_request) RETURNS wallet_core.reply
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/27_bet_rollback.sql

ALTER FUNCTION wallet_core.roll_back_bet(request wallet_core.rollback_request) OWNER TO wallet_owner;

--
-- Name: FUNCTION roll_back_bet(request wallet_core.rollback_request); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.roll_back_bet(request wallet_core.rollback_request) IS 'bet/rollback once read: claim the key, lock the bet''s account, check (1006, 2003, 2004 another player''s, 2002, 2004 state), post the settlement''s real credit back and take a refund''s give-back from the bonus grant, reopen the bet, answer.';

--
-- Name: route(text, jsonb); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.route(path text, request jsonb) RETURNS wallet_core.reply
    LANGUAGE plpgsql STABLE
    AS $$...$$;  -- body: sql/functions/15_route_shape.sql

ALTER FUNCTION wallet_core.route(path text, request jsonb) OWNER TO wallet_owner;

--
-- Name: FUNCTION route(path text, request jsonb); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.route(path text, request jsonb) IS 'A provider route from the request to its reply (status, body): reads the request into its typed record (a malformed request is answered 2004, or 2002 for a currency, and nothing is stored), then does the operation, whose errors are not caught (the statement fails whole and writes nothing: HTTP 500). Every route function wallet.<route>(jsonb) is one call of it with its path.';

--
-- Name: session_refusal(text, text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.session_refusal(player_id text, session_id text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet_core.session_refusal(player_id text, session_id text) OWNER TO wallet_owner;

--
-- Name: FUNCTION session_refusal(player_id text, session_id text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.session_refusal(player_id text, session_id text) IS 'Why a make naming this session is refused when session_check is enforce: no session, unknown, another player''s, closed or expired; null when the session is open.';

--
-- Name: sessions_enforced(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.sessions_enforced() RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet_core.sessions_enforced() OWNER TO wallet_owner;

--
-- Name: FUNCTION sessions_enforced(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.sessions_enforced() IS 'True when session_check is enforce: bet/make then checks the session. A constant the planner folds; rewritten by wallet.set_setting(''session_check'', ...), never by hand.';

--
-- Name: settle_bet(text, text, wallet_core.settle_request); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.settle_bet(route text, operation text, request wallet_core.settle_request) RETURNS wallet_core.reply
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/16_settle.sql

ALTER FUNCTION wallet_core.settle_bet(route text, operation text, request wallet_core.settle_request) OWNER TO wallet_owner;

--
-- Name: FUNCTION settle_bet(route text, operation text, request wallet_core.settle_request); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.settle_bet(route text, operation text, request wallet_core.settle_request) IS 'Settles an open or accepted bet as won, cashed out, lost or refunded, crediting the amount (a bonus bet: what its policy credits, wallet_core.real_credit, and a refund''s bonus part back to its grant); exactly once per transaction.id. Behind wallet.bet_win, wallet.bet_lost and wallet.bet_refund.';

--
-- Name: start_guarding(bigint); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.start_guarding(account_id bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet_core.start_guarding(account_id bigint) OWNER TO wallet_owner;

--
-- Name: FUNCTION start_guarding(account_id bigint); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.start_guarding(account_id bigint) IS 'Makes an account guarded (bet/make checks its limits and exclusion, and its counters are kept), building its counters from the journal of the last 30 days. Nothing when it is guarded already.';

--
-- Name: unix_seconds_limit(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.unix_seconds_limit() RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/00_limits.sql

ALTER FUNCTION wallet_core.unix_seconds_limit() OWNER TO wallet_owner;

--
-- Name: FUNCTION unix_seconds_limit(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.unix_seconds_limit() IS 'The first unix second the wallet does not accept: 10^11 (a time is from 0 up to, not including, it).';

--
-- Name: unpack_legs(text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.unpack_legs(packed text) RETURNS wallet_core.leg[]
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$...$$;  -- body: sql/functions/04_bets.sql

ALTER FUNCTION wallet_core.unpack_legs(packed text) OWNER TO wallet_owner;

--
-- Name: FUNCTION unpack_legs(packed text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.unpack_legs(packed text) IS 'The legs of bets.legs_packed as the wallet_core.leg[] they were packed from (wallet_core.pack_leg): the same values, the same text.';

--
-- Name: usual_make_path(); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.usual_make_path() RETURNS jsonpath
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $_$...$_$;  -- body: sql/functions/21_bet_make.sql

ALTER FUNCTION wallet_core.usual_make_path() OWNER TO wallet_owner;

--
-- Name: FUNCTION usual_make_path(); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.usual_make_path() IS 'The JSON path (lax) of wallet_core.is_usual_make: true when every field of a bet/make request has its usual JSON type, is within its range and equals what it must equal. A constant to the planner.';

--
-- Name: window_of(text); Type: FUNCTION; Schema: wallet_core; Owner: wallet_owner
--

CREATE FUNCTION wallet_core.window_of(kind text) RETURNS interval
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$...$$;  -- body: sql/functions/06_responsible_gambling.sql

ALTER FUNCTION wallet_core.window_of(kind text) OWNER TO wallet_owner;

--
-- Name: FUNCTION window_of(kind text); Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON FUNCTION wallet_core.window_of(kind text) IS 'The rolling window of a limit kind (stake_7d: 7 days); null for stake_per_bet. Inlined by the planner.';

--
-- Name: bonus_policies; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.bonus_policies (
    bonus_type text NOT NULL,
    stake_from text NOT NULL,
    win_credits text NOT NULL,
    requires_grant boolean DEFAULT true NOT NULL,
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    changed_by text DEFAULT SESSION_USER NOT NULL,
    reason text NOT NULL,
    CONSTRAINT bonus_policies_bonus_type_check CHECK ((bonus_type ~ '^[a-z0-9_]{1,64}$'::text)),
    CONSTRAINT bonus_policies_check CHECK ((requires_grant OR (stake_from = 'real'::text))),
    CONSTRAINT bonus_policies_stake_from_check CHECK ((stake_from = ANY (ARRAY['grant'::text, 'real'::text]))),
    CONSTRAINT bonus_policies_win_credits_check CHECK ((win_credits = ANY (ARRAY['amount'::text, 'amount_minus_stake'::text])))
);

ALTER TABLE wallet_core.bonus_policies OWNER TO wallet_owner;

--
-- Name: TABLE bonus_policies; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.bonus_policies IS 'Per bonus type: where a bonus make''s stake comes from (the real balance or the bonus grant it names), what a win of such a bet credits (the amount sent, or the amount minus the stake), and whether a make needs a grant at all. A make naming a type that is not here is 3001; a grant of such a type is refused. Change a row with wallet.set_bonus_policy(); read wallet.bonus_policies.';

--
-- Name: COLUMN bonus_policies.stake_from; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bonus_policies.stake_from IS 'grant: the stake is taken from the grant the make names (4002 when it has less left), the real balance is not touched; real: the stake is debited from the real balance (2001 when it is short).';

--
-- Name: COLUMN bonus_policies.win_credits; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bonus_policies.win_credits IS 'amount: a win credits the amount the provider sent; amount_minus_stake: the amount less the bet''s stake (never below 0), the stake of a free bet not being paid out.';

--
-- Name: COLUMN bonus_policies.requires_grant; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bonus_policies.requires_grant IS 'false: a make naming this type and a bonus_id the player holds no grant of is accepted as a real-money bet (a global comboboost, offered to every player); true: such a make is 3001.';

--
-- Name: bonus_policies; Type: VIEW; Schema: wallet; Owner: wallet_owner
--

CREATE VIEW wallet.bonus_policies AS
 SELECT p.bonus_type,
    p.stake_from,
    p.win_credits,
    p.requires_grant,
    p.changed_at,
    p.changed_by,
    p.reason
   FROM wallet_core.bonus_policies p;

ALTER TABLE wallet.bonus_policies OWNER TO wallet_owner;

--
-- Name: VIEW bonus_policies; Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON VIEW wallet.bonus_policies IS 'The policy of every bonus type: where a bonus make''s stake comes from, what its win credits, whether a make needs a grant. Change a row with wallet.set_bonus_policy(); its history is in wallet_core.bonus_journal (operation policy).';

--
-- Name: control_changes; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.control_changes (
    change_id bigint NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    changed_by text NOT NULL,
    action text NOT NULL,
    player_id text,
    currency text,
    kind text,
    old_amount bigint,
    new_amount bigint,
    effective_at timestamp with time zone,
    until timestamp with time zone,
    value text,
    reason text NOT NULL,
    journal_mark bigint,
    CONSTRAINT control_changes_action_check CHECK ((action = ANY (ARRAY['limit.set'::text, 'limit.removed'::text, 'player.excluded'::text, 'player.exclusion_lifted'::text, 'setting.changed'::text]))),
    CONSTRAINT control_changes_check CHECK (((player_id IS NULL) = (action = 'setting.changed'::text))),
    CONSTRAINT control_changes_check1 CHECK (((value IS NOT NULL) = (action = 'setting.changed'::text))),
    CONSTRAINT control_changes_check2 CHECK (((currency IS NOT NULL) = (action = ANY (ARRAY['limit.set'::text, 'limit.removed'::text]))))
);

ALTER TABLE wallet_core.control_changes OWNER TO wallet_owner;

--
-- Name: TABLE control_changes; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.control_changes IS 'Append-only history of every responsible-gambling change: who (the login role), when, why, what was in force before and what applies from effective_at. Nothing may update or delete it (triggers refuse). Read wallet.control_changes.';

--
-- Name: COLUMN control_changes.changed_by; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.control_changes.changed_by IS 'session_user: the role that logged in.';

--
-- Name: COLUMN control_changes.old_amount; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.control_changes.old_amount IS 'The limit in force when the change was asked for (null: none).';

--
-- Name: COLUMN control_changes.new_amount; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.control_changes.new_amount IS 'The limit from effective_at on (null: removed); for a setting, null (the value is in reason).';

--
-- Name: COLUMN control_changes.effective_at; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.control_changes.effective_at IS 'When the change applies: changed_at for a stricter limit, changed_at + cooling-off for a looser one.';

--
-- Name: COLUMN control_changes.until; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.control_changes.until IS 'An exclusion''s end (null: indefinite).';

--
-- Name: COLUMN control_changes.value; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.control_changes.value IS 'A setting''s new value (kind names the setting).';

--
-- Name: COLUMN control_changes.journal_mark; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.control_changes.journal_mark IS 'The newest journal entry when the change took the player''s locks: the player''s makes with a larger entry_id came after it and saw it, those with a smaller one did not (what wallet.audit() relies on).';

--
-- Name: control_changes; Type: VIEW; Schema: wallet; Owner: wallet_owner
--

CREATE VIEW wallet.control_changes AS
 SELECT c.change_id,
    c.changed_at,
    c.changed_by,
    c.action,
    c.player_id,
    c.currency,
    c.kind,
    c.old_amount,
    c.new_amount,
    c.effective_at,
    c.until,
    c.value,
    c.reason,
    c.journal_mark
   FROM wallet_core.control_changes c;

ALTER TABLE wallet.control_changes OWNER TO wallet_owner;

--
-- Name: VIEW control_changes; Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON VIEW wallet.control_changes IS 'Every responsible-gambling change, oldest first by change_id: limits set and removed (with the value in force before and when the new one applies), exclusions and their lifting, setting changes; who, when and why. Readable by the schema owner; grant SELECT to a compliance role.';

--
-- Name: events; Type: VIEW; Schema: wallet; Owner: wallet_owner
--

CREATE VIEW wallet.events AS
 SELECT e.event_id,
    e.type,
    e.occurred_at,
    e.player_id,
    e.currency,
    e.amount,
    e.balance,
    e.operation_id,
    e.bet_id,
    e.transaction_id,
    COALESCE(e.detail, m.detail) AS detail,
    e.published_at,
    wallet_core.event_body(e.*, COALESCE(e.detail, m.detail)) AS body
   FROM (wallet_core.events e
     LEFT JOIN LATERAL wallet_core.bet_made_detail(
        CASE
            WHEN ((e.detail IS NULL) AND (e.type = 'bet.made'::text)) THEN e.bet_id
            ELSE NULL::bigint
        END) m(detail) ON (true));

ALTER TABLE wallet.events OWNER TO wallet_owner;

--
-- Name: VIEW events; Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON VIEW wallet.events IS 'Every event in the outbox, with its published time (null while unpublished) and the message body consumers receive. Readable by the schema owner; grant SELECT to a DBA role if you have one.';

--
-- Name: provider_report; Type: TABLE; Schema: wallet; Owner: wallet_owner
--

CREATE TABLE wallet.provider_report (
    transaction_id text NOT NULL,
    operation text NOT NULL,
    player_id text NOT NULL,
    amount bigint NOT NULL,
    currency text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    make_transaction_id text NOT NULL,
    bet_state text,
    cross_rate_euro numeric,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT provider_report_amount_check CHECK ((amount >= 0)),
    CONSTRAINT provider_report_bet_state_check CHECK ((bet_state = ANY (ARRAY['open'::text, 'accepted'::text, 'won'::text, 'cashed_out'::text, 'lost'::text, 'refunded'::text, 'discarded'::text]))),
    CONSTRAINT provider_report_check CHECK (((operation = 'bet'::text) = (bet_state IS NOT NULL))),
    CONSTRAINT provider_report_check1 CHECK (((operation <> 'bet'::text) OR (make_transaction_id = transaction_id))),
    CONSTRAINT provider_report_cross_rate_euro_check CHECK ((cross_rate_euro > (0)::numeric)),
    CONSTRAINT provider_report_operation_check CHECK ((operation = ANY (ARRAY['bet'::text, 'win'::text, 'lost'::text, 'refund'::text, 'rollback'::text]))),
    CONSTRAINT provider_report_transaction_id_check CHECK (((length(transaction_id) >= 1) AND (length(transaction_id) <= 128)))
);

ALTER TABLE wallet.provider_report OWNER TO wallet_owner;

--
-- Name: TABLE provider_report; Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON TABLE wallet.provider_report IS 'The provider''s transaction files, one row per operation, loaded with \copy (docs/reconciliation.md gives the columns); wallet.reconcile compares them with the wallet''s books. A transaction id appears once: to load a day again, delete its rows first.';

--
-- Name: COLUMN provider_report.created_at; Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON COLUMN wallet.provider_report.created_at IS 'The provider''s time of the operation.';

--
-- Name: COLUMN provider_report.make_transaction_id; Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON COLUMN wallet.provider_report.make_transaction_id IS 'The provider''s transaction id of the bet''s make (for a bet row, its own transaction_id).';

--
-- Name: COLUMN provider_report.bet_state; Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON COLUMN wallet.provider_report.bet_state IS 'On bet rows only: the bet''s state in the provider''s books when the file was made.';

--
-- Name: settings; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.settings (
    only_row boolean DEFAULT true NOT NULL,
    cooling_off interval DEFAULT '24:00:00'::interval NOT NULL,
    session_check text DEFAULT 'off'::text NOT NULL,
    CONSTRAINT settings_cooling_off_check CHECK ((cooling_off >= '00:00:00'::interval)),
    CONSTRAINT settings_only_row_check CHECK (only_row),
    CONSTRAINT settings_session_check_check CHECK ((session_check = ANY (ARRAY['off'::text, 'enforce'::text])))
);

ALTER TABLE wallet_core.settings OWNER TO wallet_owner;

--
-- Name: TABLE settings; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.settings IS 'The responsible-gambling settings of this database, one row; change them with wallet.set_setting().';

--
-- Name: COLUMN settings.cooling_off; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.settings.cooling_off IS 'How long a looser limit (higher, or removed) waits before it applies; a stricter one applies at once.';

--
-- Name: COLUMN settings.session_check; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.settings.session_check IS 'off: bet/make stores session_id and checks nothing; enforce: a make whose session is unknown, closed, expired or another player''s is refused with 1007.';

--
-- Name: settings; Type: VIEW; Schema: wallet; Owner: wallet_owner
--

CREATE VIEW wallet.settings AS
 SELECT s.cooling_off,
    s.session_check
   FROM wallet_core.settings s;

ALTER TABLE wallet.settings OWNER TO wallet_owner;

--
-- Name: VIEW settings; Type: COMMENT; Schema: wallet; Owner: wallet_owner
--

COMMENT ON VIEW wallet.settings IS 'The responsible-gambling settings: cooling_off (how long a looser limit waits) and session_check.';

--
-- Name: accounts_account_id_seq; Type: SEQUENCE; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE wallet_core.accounts ALTER COLUMN account_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wallet_core.accounts_account_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: bet_bonuses; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.bet_bonuses (
    bet_id bigint NOT NULL,
    grant_id bigint,
    bonus_type text NOT NULL,
    win_net boolean NOT NULL,
    returned bigint DEFAULT 0 NOT NULL,
    CONSTRAINT bet_bonuses_returned_check CHECK ((returned >= 0))
);

ALTER TABLE wallet_core.bet_bonuses OWNER TO wallet_owner;

--
-- Name: TABLE bet_bonuses; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.bet_bonuses IS 'The bonus of each bet made with one (a make naming a bonus_id, accepted): the grant it named (null for a type that needs none), the type whose policy it was made under, that policy''s win rule, and what the bet has given back to its grant now. Written under the account''s lock.';

--
-- Name: COLUMN bet_bonuses.bonus_type; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bet_bonuses.bonus_type IS 'The grant''s type (or, without a grant, the make''s bonus_type): the policy the bet was made under.';

--
-- Name: COLUMN bet_bonuses.win_net; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bet_bonuses.win_net IS 'The policy at the make: a win credits the amount sent less the stake (true) or the amount sent (false).';

--
-- Name: COLUMN bet_bonuses.returned; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bet_bonuses.returned IS 'What the bet has given back to its grant now: the bonus stake after a discard, the refunded part of it after a refund; 0 again after the refund is rolled back.';

--
-- Name: bet_operations; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.bet_operations (
    transaction_id text NOT NULL,
    bet_id bigint NOT NULL,
    account_id bigint NOT NULL,
    operation text NOT NULL,
    result text NOT NULL,
    amount bigint NOT NULL,
    credited bigint NOT NULL,
    cross_rate_euro numeric,
    provider_at timestamp with time zone,
    final_odds numeric,
    legs jsonb,
    created_at timestamp with time zone DEFAULT wallet_core.now() NOT NULL,
    CONSTRAINT bet_operations_amount_check CHECK ((amount >= 0)),
    CONSTRAINT bet_operations_check CHECK (((legs IS NULL) OR (operation = ANY (ARRAY['win'::text, 'lost'::text])))),
    CONSTRAINT bet_operations_check1 CHECK (((final_odds IS NULL) OR (operation = ANY (ARRAY['win'::text, 'lost'::text])))),
    CONSTRAINT bet_operations_check2 CHECK (((credited >= 0) AND (credited <= amount))),
    CONSTRAINT bet_operations_cross_rate_euro_check CHECK ((cross_rate_euro > (0)::numeric)),
    CONSTRAINT bet_operations_final_odds_check CHECK ((final_odds > (0)::numeric)),
    CONSTRAINT bet_operations_legs_check CHECK ((jsonb_typeof(legs) = 'array'::text)),
    CONSTRAINT bet_operations_operation_check CHECK ((operation = ANY (ARRAY['win'::text, 'lost'::text, 'refund'::text, 'rollback'::text]))),
    CONSTRAINT bet_operations_result_check CHECK ((result = ANY (ARRAY['won'::text, 'cashed_out'::text, 'lost'::text, 'refunded'::text]))),
    CONSTRAINT bet_operations_transaction_id_check CHECK (((length(transaction_id) >= 1) AND (length(transaction_id) <= 128)))
);

ALTER TABLE wallet_core.bet_operations OWNER TO wallet_owner;

--
-- Name: TABLE bet_operations; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.bet_operations IS 'One row per accepted bet/win, bet/lost, bet/refund and bet/rollback, written in its transaction and never changed: the history of a bet''s settlements (wallet.player_bets) and the wallet''s side of wallet.reconcile and wallet.money_report.';

--
-- Name: COLUMN bet_operations.transaction_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bet_operations.transaction_id IS 'The provider''s transaction.id of the operation.';

--
-- Name: COLUMN bet_operations.account_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bet_operations.account_id IS 'The bet''s account (as wallet_core.bets has it), so that the reports sum per account without joining the bets.';

--
-- Name: COLUMN bet_operations.result; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bet_operations.result IS 'What the bet was settled as (win, lost, refund), or, for a rollback, the result it undid.';

--
-- Name: COLUMN bet_operations.amount; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bet_operations.amount IS 'The amount as the provider sent it, never negative: a win''s or refund''s amount, 0 for lost, for a rollback the amount of the settlement it undid. The provider''s file carries the same (wallet.reconcile).';

--
-- Name: COLUMN bet_operations.credited; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bet_operations.credited IS 'What the real balance moved (the journal row''s amount, as a positive number; a rollback''s is what it took back). Equal to amount but for bonus bets, whose policy may credit less (docs/bonus-bets.md).';

--
-- Name: COLUMN bet_operations.cross_rate_euro; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bet_operations.cross_rate_euro IS 'transaction.cross_rate_euro, exactly as sent; null when absent or not a positive decimal (a settlement is never refused for it).';

--
-- Name: COLUMN bet_operations.provider_at; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bet_operations.provider_at IS 'transaction.timestamp: the provider''s time of the operation; null when absent or malformed.';

--
-- Name: COLUMN bet_operations.final_odds; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bet_operations.final_odds IS 'The odds of a win or lost (its top-level odds).';

--
-- Name: COLUMN bet_operations.legs; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bet_operations.legs IS 'What a win or lost said about each leg: [{id, event_id, status, odds}] from its selections, as sent.';

--
-- Name: COLUMN bet_operations.created_at; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bet_operations.created_at IS 'When the wallet took it (wallet_core.now()).';

--
-- Name: bonus_grants; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.bonus_grants (
    grant_id bigint NOT NULL,
    bonus_id text NOT NULL,
    account_id bigint NOT NULL,
    bonus_type text NOT NULL,
    amount bigint NOT NULL,
    remaining bigint NOT NULL,
    expires_at timestamp with time zone,
    granted_at timestamp with time zone NOT NULL,
    granted_by text NOT NULL,
    reason text,
    revoked_at timestamp with time zone,
    revoked_by text,
    revoke_reason text,
    CONSTRAINT bonus_grants_amount_check CHECK (((amount >= 0) AND (amount <= '1000000000000000'::bigint))),
    CONSTRAINT bonus_grants_bonus_id_check CHECK (((length(bonus_id) >= 1) AND (length(bonus_id) <= 128))),
    CONSTRAINT bonus_grants_check CHECK (((revoked_at IS NULL) = (revoke_reason IS NULL))),
    CONSTRAINT bonus_grants_check1 CHECK (((revoked_at IS NULL) = (revoked_by IS NULL)))
);

ALTER TABLE wallet_core.bonus_grants OWNER TO wallet_owner;

--
-- Name: TABLE bonus_grants; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.bonus_grants IS 'A bonus a player holds in one currency (bonus_id is the provider''s, unique). remaining is what its bets may still take: amount, less what its bets took, plus what discards and refunds gave back, less what rollbacks of those refunds took again (wallet.audit() checks it). Written under the account''s lock. Read wallet.bonuses(player_id).';

--
-- Name: COLUMN bonus_grants.remaining; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bonus_grants.remaining IS 'What bonus makes may still take. Below zero only after a rollback of a refund whose give-back was spent meanwhile (as a rollback may take a real balance below zero); wallet.audit() names it.';

--
-- Name: COLUMN bonus_grants.expires_at; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bonus_grants.expires_at IS 'After it, a make naming the bonus is 3001 (null: never).';

--
-- Name: COLUMN bonus_grants.granted_by; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bonus_grants.granted_by IS 'session_user of wallet.grant_bonus(): the role that logged in.';

--
-- Name: COLUMN bonus_grants.revoked_at; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bonus_grants.revoked_at IS 'When wallet.revoke_bonus() ended it: a make naming it is 3001 from then on; bets already made go on.';

--
-- Name: bonus_grants_grant_id_seq; Type: SEQUENCE; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE wallet_core.bonus_grants ALTER COLUMN grant_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wallet_core.bonus_grants_grant_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: bonus_journal; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.bonus_journal (
    entry_id bigint NOT NULL,
    grant_id bigint,
    bonus_type text NOT NULL,
    operation text NOT NULL,
    amount bigint NOT NULL,
    remaining_after bigint,
    bet_id bigint,
    transaction_id text,
    changed_by text DEFAULT SESSION_USER NOT NULL,
    reason text,
    detail jsonb,
    created_at timestamp with time zone DEFAULT wallet_core.now() NOT NULL,
    CONSTRAINT bonus_journal_check CHECK (((grant_id IS NULL) = (operation = 'policy'::text))),
    CONSTRAINT bonus_journal_check1 CHECK (((remaining_after IS NULL) = (operation = 'policy'::text))),
    CONSTRAINT bonus_journal_check2 CHECK (((bet_id IS NOT NULL) = (operation = ANY (ARRAY['bet'::text, 'discard'::text, 'refund'::text, 'rollback'::text])))),
    CONSTRAINT bonus_journal_operation_check CHECK ((operation = ANY (ARRAY['grant'::text, 'revoke'::text, 'bet'::text, 'discard'::text, 'refund'::text, 'rollback'::text, 'policy'::text])))
);

ALTER TABLE wallet_core.bonus_journal OWNER TO wallet_owner;

--
-- Name: TABLE bonus_journal; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.bonus_journal IS 'Append-only history of bonus money: every grant, revocation, take (bet) and give-back (discard, refund; a rollback takes a refund back) with the grant''s remainder after it, and every policy change (old and new values in detail). Nothing may update or delete it (triggers refuse).';

--
-- Name: COLUMN bonus_journal.amount; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bonus_journal.amount IS 'Signed change of the grant''s remainder (the grant''s amount for a grant row, 0 for a revocation or a policy change).';

--
-- Name: COLUMN bonus_journal.changed_by; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.bonus_journal.changed_by IS 'session_user: the role that logged in (the service''s role for bets, the DBA''s for grants).';

--
-- Name: bonus_journal_entry_id_seq; Type: SEQUENCE; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE wallet_core.bonus_journal ALTER COLUMN entry_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wallet_core.bonus_journal_entry_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: categories; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.categories (
    category_id text NOT NULL,
    sport_id text NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT categories_category_id_check CHECK (((length(category_id) >= 1) AND (length(category_id) <= 128)))
);

ALTER TABLE wallet_core.categories OWNER TO wallet_owner;

--
-- Name: TABLE categories; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.categories IS 'Categories (countries, leagues groups) of a sport, inserted by bet/make when new.';

--
-- Name: control_changes_change_id_seq; Type: SEQUENCE; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE wallet_core.control_changes ALTER COLUMN change_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wallet_core.control_changes_change_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: error_codes; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.error_codes (
    sqlstate text NOT NULL,
    provider_code integer NOT NULL,
    http_status integer NOT NULL,
    stored boolean NOT NULL,
    meaning text NOT NULL,
    CONSTRAINT error_codes_sqlstate_check CHECK ((sqlstate ~ '^WA[0-9A-Z]{3}$'::text))
);

ALTER TABLE wallet_core.error_codes OWNER TO wallet_owner;

--
-- Name: TABLE error_codes; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.error_codes IS 'Every SQLSTATE the wallet raises, the provider error code and HTTP status it maps to, and whether a refusal with it is stored for replay (the contract''s list: 1005, 1006, 2001, 2002 and 2004 for a state the bet does not allow; not malformed requests, idempotency conflicts or an unknown bet).';

--
-- Name: events_event_id_seq; Type: SEQUENCE; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE wallet_core.events ALTER COLUMN event_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wallet_core.events_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: exclusions; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.exclusions (
    player_id text NOT NULL,
    since timestamp with time zone NOT NULL,
    until timestamp with time zone,
    reason text NOT NULL,
    CONSTRAINT exclusions_player_id_check CHECK (((length(player_id) >= 1) AND (length(player_id) <= 128)))
);

ALTER TABLE wallet_core.exclusions OWNER TO wallet_owner;

--
-- Name: TABLE exclusions; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.exclusions IS 'A player''s self-exclusion (until null: indefinite) or time-out (until set), in every currency. An ended one may stay; wallet.lift_exclusion deletes one. Every change is in wallet_core.control_changes.';

--
-- Name: idempotency; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.idempotency (
    kind text NOT NULL,
    key text NOT NULL,
    operation_id bigint NOT NULL,
    route text NOT NULL,
    status integer,
    response jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    player_id text,
    amount bigint,
    currency text,
    parent text,
    detail text,
    CONSTRAINT idempotency_check CHECK (((status IS NULL) = (response IS NULL))),
    CONSTRAINT idempotency_key_check CHECK (((length(key) >= 1) AND (length(key) <= 128))),
    CONSTRAINT idempotency_kind_check CHECK ((kind = ANY (ARRAY['transaction'::text, 'discard'::text, 'commit'::text, 'settlement'::text])))
);

ALTER TABLE wallet_core.idempotency OWNER TO wallet_owner;

--
-- Name: TABLE idempotency; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.idempotency IS 'One row per answered operation key, written once with its answer in the transaction that did the operation; a replay returns the answer byte for byte. A duplicate in flight waits on a transaction-level advisory lock on the key, then finds this row.';

--
-- Name: COLUMN idempotency.kind; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.idempotency.kind IS 'Key space: transaction (make, win, lost, refund, rollback: transaction.id), discard (the make''s transaction_id), commit and settlement (bet_transaction_id).';

--
-- Name: COLUMN idempotency.operation_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.idempotency.operation_id IS 'The wallet''s own id of the operation (from wallet_core.operation_id_seq): the "id" of its answer (for a make, the bet id).';

--
-- Name: COLUMN idempotency.route; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.idempotency.route IS 'The route that used the key; another route with it is 2004.';

--
-- Name: COLUMN idempotency.player_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.idempotency.player_id IS 'Content a replay must match: the player.';

--
-- Name: COLUMN idempotency.amount; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.idempotency.amount IS 'Content a replay must match: the amount (null when absent).';

--
-- Name: COLUMN idempotency.currency; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.idempotency.currency IS 'Content a replay must match: the currency.';

--
-- Name: COLUMN idempotency.parent; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.idempotency.parent IS 'Content a replay must match: the bet id (win, lost, refund, rollback, commit, settlement) or the make''s transaction id (discard).';

--
-- Name: COLUMN idempotency.detail; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.idempotency.detail IS 'Content a replay must match: the settlement a rollback names, or the status of a bet/settlement.';

--
-- Name: journal; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.journal (
    entry_id bigint NOT NULL,
    account_id bigint NOT NULL,
    operation text NOT NULL,
    amount bigint NOT NULL,
    balance_after bigint NOT NULL,
    transaction_id text,
    bet_id bigint,
    reason text,
    created_at timestamp with time zone DEFAULT wallet_core.now() NOT NULL
);

ALTER TABLE wallet_core.journal OWNER TO wallet_owner;

--
-- Name: TABLE journal; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.journal IS 'Append-only record of every balance change. Nothing may update or delete it (triggers refuse). Its rules (the operation, the sign of the amount, no debit below zero) are checked by wallet_core.post, its one writer, and by wallet.audit() (journal_rules).';

--
-- Name: COLUMN journal.amount; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.journal.amount IS 'Signed change in minor units: negative debits, positive credits.';

--
-- Name: COLUMN journal.balance_after; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.journal.balance_after IS 'The account''s balance right after this entry.';

--
-- Name: COLUMN journal.transaction_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.journal.transaction_id IS 'The provider''s transaction id, when a provider caused it.';

--
-- Name: COLUMN journal.bet_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.journal.bet_id IS 'The bet the entry belongs to, if any (no foreign key: written by the transaction that holds the bet; wallet.audit() checks it, orphan_row).';

--
-- Name: COLUMN journal.reason; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.journal.reason IS 'Why: the DBA''s reason for manual adjustments, the provider''s for discards and refunds.';

--
-- Name: journal_entry_id_seq; Type: SEQUENCE; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE wallet_core.journal ALTER COLUMN entry_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wallet_core.journal_entry_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: limit_counters; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.limit_counters (
    account_id bigint NOT NULL,
    minute timestamp with time zone NOT NULL,
    stakes bigint NOT NULL,
    credits bigint NOT NULL,
    bets bigint NOT NULL
);

ALTER TABLE wallet_core.limit_counters OWNER TO wallet_owner;

--
-- Name: TABLE limit_counters; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.limit_counters IS 'Running totals of a guarded account, one row per minute with activity: stakes made, credits (wins, refunds and discards, less rollbacks) and bets, each summed from the start of the counting up to the end of that minute. A window''s sum is the newest row less the last row before the window. Written under the account''s lock, only ever at the newest minute: nothing arriving late rewrites one.';

--
-- Name: limits; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.limits (
    account_id bigint NOT NULL,
    kind text NOT NULL,
    amount bigint NOT NULL,
    pending boolean DEFAULT false NOT NULL,
    pending_amount bigint,
    effective_at timestamp with time zone,
    CONSTRAINT limits_amount_check CHECK (((amount >= 0) AND (amount <= '1000000000000000'::bigint))),
    CONSTRAINT limits_check CHECK ((pending = (effective_at IS NOT NULL))),
    CONSTRAINT limits_check1 CHECK ((pending OR (pending_amount IS NULL))),
    CONSTRAINT limits_kind_check CHECK ((kind = ANY (ARRAY['stake_per_bet'::text, 'stake_24h'::text, 'stake_7d'::text, 'stake_30d'::text, 'loss_24h'::text, 'loss_7d'::text, 'loss_30d'::text, 'bets_24h'::text]))),
    CONSTRAINT limits_pending_amount_check CHECK (((pending_amount >= 0) AND (pending_amount <= '1000000000000000'::bigint)))
);

ALTER TABLE wallet_core.limits OWNER TO wallet_owner;

--
-- Name: TABLE limits; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.limits IS 'A limit per account and kind: the amount in force, and a looser change waiting for its cooling-off (pending; pending_amount null: a removal). From effective_at on the pending value is the one in force, whether or not a later change has folded it in yet. Read wallet.limits(player_id).';

--
-- Name: operation_id_seq; Type: SEQUENCE; Schema: wallet_core; Owner: wallet_owner
--

CREATE SEQUENCE wallet_core.operation_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER TABLE wallet_core.operation_id_seq OWNER TO wallet_owner;

--
-- Name: SEQUENCE operation_id_seq; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON SEQUENCE wallet_core.operation_id_seq IS 'Source of the wallet''s own operation ids (the "id" of every answer); a bet''s id is its make''s id.';

--
-- Name: selections; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.selections (
    bet_id bigint NOT NULL,
    "position" integer NOT NULL,
    selection_id text NOT NULL,
    event_id text NOT NULL,
    sport_id text NOT NULL,
    category_id text NOT NULL,
    tournament_id text NOT NULL,
    competitor_names text[],
    market_name text,
    outcome_name text,
    scheduled_at timestamp with time zone,
    live boolean,
    odds numeric NOT NULL,
    CONSTRAINT selections_odds_check CHECK ((odds > (0)::numeric)),
    CONSTRAINT selections_position_check CHECK (("position" >= 0))
);

ALTER TABLE wallet_core.selections OWNER TO wallet_owner;

--
-- Name: TABLE selections; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.selections IS 'The selections of bets made before migration 0610, until wallet.move_to_bet_rows() moves them into wallet_core.bets.legs; nothing writes here any more.';

--
-- Name: COLUMN selections.selection_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.selections.selection_id IS 'betslip.bets[].id';

--
-- Name: COLUMN selections.sport_id; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.selections.sport_id IS 'A wallet_core.sports key; bet/make inserts the reference rows a slip names in the same transaction (no foreign key: it locked the reference row on every insert, and reference rows are never deleted).';

--
-- Name: COLUMN selections.odds; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON COLUMN wallet_core.selections.odds IS 'The selection''s odds, stored exactly.';

--
-- Name: sessions; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.sessions (
    session_id text NOT NULL,
    player_id text NOT NULL,
    opened_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    closed_at timestamp with time zone,
    closed_why text,
    CONSTRAINT sessions_player_id_check CHECK (((length(player_id) >= 1) AND (length(player_id) <= 128))),
    CONSTRAINT sessions_session_id_check CHECK (((length(session_id) >= 1) AND (length(session_id) <= 128)))
);

ALTER TABLE wallet_core.sessions OWNER TO wallet_owner;

--
-- Name: TABLE sessions; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.sessions IS 'The operator''s sessions of a player''s front end (bet/make''s session_id): open until closed_at or expires_at. Checked by bet/make only when wallet_core.settings.session_check is enforce.';

--
-- Name: sports; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.sports (
    sport_id text NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT sports_sport_id_check CHECK (((length(sport_id) >= 1) AND (length(sport_id) <= 128)))
);

ALTER TABLE wallet_core.sports OWNER TO wallet_owner;

--
-- Name: TABLE sports; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.sports IS 'Sports named by bet slips, inserted by bet/make when new.';

--
-- Name: tournaments; Type: TABLE; Schema: wallet_core; Owner: wallet_owner
--

CREATE TABLE wallet_core.tournaments (
    tournament_id text NOT NULL,
    category_id text NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tournaments_tournament_id_check CHECK (((length(tournament_id) >= 1) AND (length(tournament_id) <= 128)))
);

ALTER TABLE wallet_core.tournaments OWNER TO wallet_owner;

--
-- Name: TABLE tournaments; Type: COMMENT; Schema: wallet_core; Owner: wallet_owner
--

COMMENT ON TABLE wallet_core.tournaments IS 'Tournaments of a category, inserted by bet/make when new.';

--
-- Name: provider_report provider_report_transaction_id_key; Type: CONSTRAINT; Schema: wallet; Owner: wallet_owner
--

ALTER TABLE ONLY wallet.provider_report
    ADD CONSTRAINT provider_report_transaction_id_key UNIQUE (transaction_id);

--
-- Name: accounts accounts_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (account_id);

--
-- Name: accounts accounts_player_id_currency_key; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.accounts
    ADD CONSTRAINT accounts_player_id_currency_key UNIQUE (player_id, currency);

--
-- Name: bet_bonuses bet_bonuses_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bet_bonuses
    ADD CONSTRAINT bet_bonuses_pkey PRIMARY KEY (bet_id);

--
-- Name: bet_operations bet_operations_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bet_operations
    ADD CONSTRAINT bet_operations_pkey PRIMARY KEY (transaction_id);

--
-- Name: bets bets_make_transaction_id_key; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bets
    ADD CONSTRAINT bets_make_transaction_id_key UNIQUE (make_transaction_id);

--
-- Name: bets bets_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bets
    ADD CONSTRAINT bets_pkey PRIMARY KEY (bet_id);

--
-- Name: bonus_grants bonus_grants_bonus_id_key; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bonus_grants
    ADD CONSTRAINT bonus_grants_bonus_id_key UNIQUE (bonus_id);

--
-- Name: bonus_grants bonus_grants_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bonus_grants
    ADD CONSTRAINT bonus_grants_pkey PRIMARY KEY (grant_id);

--
-- Name: bonus_journal bonus_journal_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bonus_journal
    ADD CONSTRAINT bonus_journal_pkey PRIMARY KEY (entry_id);

--
-- Name: bonus_policies bonus_policies_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bonus_policies
    ADD CONSTRAINT bonus_policies_pkey PRIMARY KEY (bonus_type);

--
-- Name: categories categories_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.categories
    ADD CONSTRAINT categories_pkey PRIMARY KEY (category_id);

--
-- Name: control_changes control_changes_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.control_changes
    ADD CONSTRAINT control_changes_pkey PRIMARY KEY (change_id);

--
-- Name: error_codes error_codes_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.error_codes
    ADD CONSTRAINT error_codes_pkey PRIMARY KEY (sqlstate);

--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (event_id);

--
-- Name: exclusions exclusions_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.exclusions
    ADD CONSTRAINT exclusions_pkey PRIMARY KEY (player_id);

--
-- Name: idempotency idempotency_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.idempotency
    ADD CONSTRAINT idempotency_pkey PRIMARY KEY (kind, key);

--
-- Name: journal journal_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.journal
    ADD CONSTRAINT journal_pkey PRIMARY KEY (entry_id);

--
-- Name: limit_counters limit_counters_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.limit_counters
    ADD CONSTRAINT limit_counters_pkey PRIMARY KEY (account_id, minute);

--
-- Name: limits limits_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.limits
    ADD CONSTRAINT limits_pkey PRIMARY KEY (account_id, kind);

--
-- Name: selections selections_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.selections
    ADD CONSTRAINT selections_pkey PRIMARY KEY (bet_id, "position");

--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (session_id);

--
-- Name: settings settings_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (only_row);

--
-- Name: sports sports_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.sports
    ADD CONSTRAINT sports_pkey PRIMARY KEY (sport_id);

--
-- Name: tournaments tournaments_pkey; Type: CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.tournaments
    ADD CONSTRAINT tournaments_pkey PRIMARY KEY (tournament_id);

--
-- Name: provider_report_created_idx; Type: INDEX; Schema: wallet; Owner: wallet_owner
--

CREATE INDEX provider_report_created_idx ON wallet.provider_report USING btree (created_at);

--
-- Name: bet_bonuses_grant_idx; Type: INDEX; Schema: wallet_core; Owner: wallet_owner
--

CREATE INDEX bet_bonuses_grant_idx ON wallet_core.bet_bonuses USING btree (grant_id) WHERE (grant_id IS NOT NULL);

--
-- Name: bet_operations_bet_idx; Type: INDEX; Schema: wallet_core; Owner: wallet_owner
--

CREATE INDEX bet_operations_bet_idx ON wallet_core.bet_operations USING btree (bet_id);

--
-- Name: bet_operations_created_idx; Type: INDEX; Schema: wallet_core; Owner: wallet_owner
--

CREATE INDEX bet_operations_created_idx ON wallet_core.bet_operations USING brin (created_at);

--
-- Name: bets_account_bet_idx; Type: INDEX; Schema: wallet_core; Owner: wallet_owner
--

CREATE INDEX bets_account_bet_idx ON wallet_core.bets USING btree (account_id, bet_id);

--
-- Name: bonus_grants_account_idx; Type: INDEX; Schema: wallet_core; Owner: wallet_owner
--

CREATE INDEX bonus_grants_account_idx ON wallet_core.bonus_grants USING btree (account_id);

--
-- Name: bonus_journal_grant_idx; Type: INDEX; Schema: wallet_core; Owner: wallet_owner
--

CREATE INDEX bonus_journal_grant_idx ON wallet_core.bonus_journal USING btree (grant_id, entry_id);

--
-- Name: control_changes_player_idx; Type: INDEX; Schema: wallet_core; Owner: wallet_owner
--

CREATE INDEX control_changes_player_idx ON wallet_core.control_changes USING btree (player_id, change_id);

--
-- Name: events_unpublished_idx; Type: INDEX; Schema: wallet_core; Owner: wallet_owner
--

CREATE INDEX events_unpublished_idx ON wallet_core.events USING btree (event_id) WHERE (published_at IS NULL);

--
-- Name: journal_account_idx; Type: INDEX; Schema: wallet_core; Owner: wallet_owner
--

CREATE INDEX journal_account_idx ON wallet_core.journal USING btree (account_id, entry_id);

--
-- Name: sessions_open_idx; Type: INDEX; Schema: wallet_core; Owner: wallet_owner
--

CREATE INDEX sessions_open_idx ON wallet_core.sessions USING btree (player_id) WHERE (closed_at IS NULL);

--
-- Name: bonus_journal bonus_journal_no_truncate; Type: TRIGGER; Schema: wallet_core; Owner: wallet_owner
--

CREATE TRIGGER bonus_journal_no_truncate BEFORE TRUNCATE ON wallet_core.bonus_journal FOR EACH STATEMENT EXECUTE FUNCTION wallet_core.bonus_journal_is_append_only();

--
-- Name: bonus_journal bonus_journal_no_update_delete; Type: TRIGGER; Schema: wallet_core; Owner: wallet_owner
--

CREATE TRIGGER bonus_journal_no_update_delete BEFORE DELETE OR UPDATE ON wallet_core.bonus_journal FOR EACH ROW EXECUTE FUNCTION wallet_core.bonus_journal_is_append_only();

--
-- Name: control_changes control_changes_no_truncate; Type: TRIGGER; Schema: wallet_core; Owner: wallet_owner
--

CREATE TRIGGER control_changes_no_truncate BEFORE TRUNCATE ON wallet_core.control_changes FOR EACH STATEMENT EXECUTE FUNCTION wallet_core.refuse_rewriting_history();

--
-- Name: control_changes control_changes_no_update_delete; Type: TRIGGER; Schema: wallet_core; Owner: wallet_owner
--

CREATE TRIGGER control_changes_no_update_delete BEFORE DELETE OR UPDATE ON wallet_core.control_changes FOR EACH ROW EXECUTE FUNCTION wallet_core.refuse_rewriting_history();

--
-- Name: journal journal_no_truncate; Type: TRIGGER; Schema: wallet_core; Owner: wallet_owner
--

CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON wallet_core.journal FOR EACH STATEMENT EXECUTE FUNCTION wallet_core.journal_is_append_only();

--
-- Name: journal journal_no_update_delete; Type: TRIGGER; Schema: wallet_core; Owner: wallet_owner
--

CREATE TRIGGER journal_no_update_delete BEFORE DELETE OR UPDATE ON wallet_core.journal FOR EACH ROW EXECUTE FUNCTION wallet_core.journal_is_append_only();

--
-- Name: bet_bonuses bet_bonuses_bet_id_fkey; Type: FK CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bet_bonuses
    ADD CONSTRAINT bet_bonuses_bet_id_fkey FOREIGN KEY (bet_id) REFERENCES wallet_core.bets(bet_id);

--
-- Name: bet_bonuses bet_bonuses_grant_id_fkey; Type: FK CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bet_bonuses
    ADD CONSTRAINT bet_bonuses_grant_id_fkey FOREIGN KEY (grant_id) REFERENCES wallet_core.bonus_grants(grant_id);

--
-- Name: bet_operations bet_operations_bet_id_fkey; Type: FK CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bet_operations
    ADD CONSTRAINT bet_operations_bet_id_fkey FOREIGN KEY (bet_id) REFERENCES wallet_core.bets(bet_id);

--
-- Name: bonus_grants bonus_grants_account_id_fkey; Type: FK CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bonus_grants
    ADD CONSTRAINT bonus_grants_account_id_fkey FOREIGN KEY (account_id) REFERENCES wallet_core.accounts(account_id);

--
-- Name: bonus_grants bonus_grants_bonus_type_fkey; Type: FK CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bonus_grants
    ADD CONSTRAINT bonus_grants_bonus_type_fkey FOREIGN KEY (bonus_type) REFERENCES wallet_core.bonus_policies(bonus_type);

--
-- Name: bonus_journal bonus_journal_bet_id_fkey; Type: FK CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bonus_journal
    ADD CONSTRAINT bonus_journal_bet_id_fkey FOREIGN KEY (bet_id) REFERENCES wallet_core.bets(bet_id);

--
-- Name: bonus_journal bonus_journal_grant_id_fkey; Type: FK CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.bonus_journal
    ADD CONSTRAINT bonus_journal_grant_id_fkey FOREIGN KEY (grant_id) REFERENCES wallet_core.bonus_grants(grant_id);

--
-- Name: categories categories_sport_id_fkey; Type: FK CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.categories
    ADD CONSTRAINT categories_sport_id_fkey FOREIGN KEY (sport_id) REFERENCES wallet_core.sports(sport_id);

--
-- Name: limits limits_account_id_fkey; Type: FK CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.limits
    ADD CONSTRAINT limits_account_id_fkey FOREIGN KEY (account_id) REFERENCES wallet_core.accounts(account_id);

--
-- Name: selections selections_bet_id_fkey; Type: FK CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.selections
    ADD CONSTRAINT selections_bet_id_fkey FOREIGN KEY (bet_id) REFERENCES wallet_core.bets(bet_id);

--
-- Name: tournaments tournaments_category_id_fkey; Type: FK CONSTRAINT; Schema: wallet_core; Owner: wallet_owner
--

ALTER TABLE ONLY wallet_core.tournaments
    ADD CONSTRAINT tournaments_category_id_fkey FOREIGN KEY (category_id) REFERENCES wallet_core.categories(category_id);

--
-- Name: SCHEMA wallet; Type: ACL; Schema: -; Owner: wallet_owner
--

GRANT USAGE ON SCHEMA wallet TO wallet_app;
GRANT USAGE ON SCHEMA wallet TO wallet_relay;
GRANT USAGE ON SCHEMA wallet TO wallet_support;

--
-- Name: FUNCTION adjust_balance(player_id text, currency text, amount bigint, reason text); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.adjust_balance(player_id text, currency text, amount bigint, reason text) FROM PUBLIC;

--
-- Name: FUNCTION audit(); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.audit() FROM PUBLIC;

--
-- Name: FUNCTION await_standbys(); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.await_standbys() FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.await_standbys() TO wallet_app;
GRANT ALL ON FUNCTION wallet.await_standbys() TO wallet_relay;

--
-- Name: FUNCTION balance(player_id text, currency text); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.balance(player_id text, currency text) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.balance(player_id text, currency text) TO wallet_support;

--
-- Name: FUNCTION bet_commit(request jsonb, OUT status integer, OUT body jsonb); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.bet_commit(request jsonb, OUT status integer, OUT body jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.bet_commit(request jsonb, OUT status integer, OUT body jsonb) TO wallet_app;

--
-- Name: FUNCTION bet_discard(request jsonb, OUT status integer, OUT body jsonb); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.bet_discard(request jsonb, OUT status integer, OUT body jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.bet_discard(request jsonb, OUT status integer, OUT body jsonb) TO wallet_app;

--
-- Name: FUNCTION bet_lost(request jsonb, OUT status integer, OUT body jsonb); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.bet_lost(request jsonb, OUT status integer, OUT body jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.bet_lost(request jsonb, OUT status integer, OUT body jsonb) TO wallet_app;

--
-- Name: FUNCTION bet_make(request jsonb, OUT status integer, OUT body jsonb); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.bet_make(request jsonb, OUT status integer, OUT body jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.bet_make(request jsonb, OUT status integer, OUT body jsonb) TO wallet_app;

--
-- Name: FUNCTION bet_refund(request jsonb, OUT status integer, OUT body jsonb); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.bet_refund(request jsonb, OUT status integer, OUT body jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.bet_refund(request jsonb, OUT status integer, OUT body jsonb) TO wallet_app;

--
-- Name: FUNCTION bet_rollback(request jsonb, OUT status integer, OUT body jsonb); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.bet_rollback(request jsonb, OUT status integer, OUT body jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.bet_rollback(request jsonb, OUT status integer, OUT body jsonb) TO wallet_app;

--
-- Name: FUNCTION bet_settlement(request jsonb, OUT status integer, OUT body jsonb); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.bet_settlement(request jsonb, OUT status integer, OUT body jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.bet_settlement(request jsonb, OUT status integer, OUT body jsonb) TO wallet_app;

--
-- Name: FUNCTION bet_win(request jsonb, OUT status integer, OUT body jsonb); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.bet_win(request jsonb, OUT status integer, OUT body jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.bet_win(request jsonb, OUT status integer, OUT body jsonb) TO wallet_app;

--
-- Name: FUNCTION block_player(player_id text); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.block_player(player_id text) FROM PUBLIC;

--
-- Name: FUNCTION bonuses(player_id text); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.bonuses(player_id text) FROM PUBLIC;

--
-- Name: FUNCTION close_session(session_id text); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.close_session(session_id text) FROM PUBLIC;

--
-- Name: FUNCTION commit_readiness(); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.commit_readiness() FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.commit_readiness() TO wallet_app;
GRANT ALL ON FUNCTION wallet.commit_readiness() TO wallet_relay;

--
-- Name: FUNCTION create_player(player_id text, currency text, balance bigint); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.create_player(player_id text, currency text, balance bigint) FROM PUBLIC;

--
-- Name: FUNCTION events_backlog(OUT unpublished bigint, OUT oldest_age double precision); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.events_backlog(OUT unpublished bigint, OUT oldest_age double precision) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.events_backlog(OUT unpublished bigint, OUT oldest_age double precision) TO wallet_relay;

--
-- Name: FUNCTION exclude_player(player_id text, until timestamp with time zone, reason text); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.exclude_player(player_id text, until timestamp with time zone, reason text) FROM PUBLIC;

--
-- Name: FUNCTION grant_bonus(player_id text, currency text, bonus_id text, bonus_type text, amount bigint, expires_at timestamp with time zone); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.grant_bonus(player_id text, currency text, bonus_id text, bonus_type text, amount bigint, expires_at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION lift_exclusion(player_id text, reason text); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.lift_exclusion(player_id text, reason text) FROM PUBLIC;

--
-- Name: FUNCTION limits(player_id text); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.limits(player_id text) FROM PUBLIC;

--
-- Name: FUNCTION mark_events_published(event_ids bigint[]); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.mark_events_published(event_ids bigint[]) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.mark_events_published(event_ids bigint[]) TO wallet_relay;

--
-- Name: FUNCTION money_report(window_from timestamp with time zone, window_to timestamp with time zone); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.money_report(window_from timestamp with time zone, window_to timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.money_report(window_from timestamp with time zone, window_to timestamp with time zone) TO wallet_support;

--
-- Name: PROCEDURE move_to_bet_rows(IN batch integer, INOUT moved bigint); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON PROCEDURE wallet.move_to_bet_rows(IN batch integer, INOUT moved bigint) FROM PUBLIC;

--
-- Name: FUNCTION open_session(player_id text, session_id text, expires_at timestamp with time zone); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.open_session(player_id text, session_id text, expires_at timestamp with time zone) FROM PUBLIC;

--
-- Name: PROCEDURE pack_bet_rows(IN batch integer, INOUT packed bigint); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON PROCEDURE wallet.pack_bet_rows(IN batch integer, INOUT packed bigint) FROM PUBLIC;

--
-- Name: FUNCTION player_balance(request jsonb, OUT status integer, OUT body jsonb); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.player_balance(request jsonb, OUT status integer, OUT body jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.player_balance(request jsonb, OUT status integer, OUT body jsonb) TO wallet_app;

--
-- Name: FUNCTION player_bets(player_id text, before bigint, page integer); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.player_bets(player_id text, before bigint, page integer) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.player_bets(player_id text, before bigint, page integer) TO wallet_support;

--
-- Name: FUNCTION player_statement(player_id text, currency text, window_from timestamp with time zone, window_to timestamp with time zone); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.player_statement(player_id text, currency text, window_from timestamp with time zone, window_to timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.player_statement(player_id text, currency text, window_from timestamp with time zone, window_to timestamp with time zone) TO wallet_support;

--
-- Name: PROCEDURE purge_events(IN older_than interval, INOUT deleted bigint); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON PROCEDURE wallet.purge_events(IN older_than interval, INOUT deleted bigint) FROM PUBLIC;

--
-- Name: FUNCTION purge_idempotency(keep interval, first_block bigint, blocks integer, OUT deleted bigint, OUT next_block bigint); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.purge_idempotency(keep interval, first_block bigint, blocks integer, OUT deleted bigint, OUT next_block bigint) FROM PUBLIC;

--
-- Name: FUNCTION purge_limit_counters(older_than interval); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.purge_limit_counters(older_than interval) FROM PUBLIC;

--
-- Name: FUNCTION reconcile(window_from timestamp with time zone, window_to timestamp with time zone); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.reconcile(window_from timestamp with time zone, window_to timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.reconcile(window_from timestamp with time zone, window_to timestamp with time zone) TO wallet_support;

--
-- Name: FUNCTION relay_lead(); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.relay_lead() FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.relay_lead() TO wallet_relay;

--
-- Name: FUNCTION remove_limit(player_id text, currency text, kind text, reason text); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.remove_limit(player_id text, currency text, kind text, reason text) FROM PUBLIC;

--
-- Name: FUNCTION revoke_bonus(bonus_id text, reason text); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.revoke_bonus(bonus_id text, reason text) FROM PUBLIC;

--
-- Name: FUNCTION set_bonus_policy(bonus_type text, stake_from text, win_credits text, requires_grant boolean, reason text); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.set_bonus_policy(bonus_type text, stake_from text, win_credits text, requires_grant boolean, reason text) FROM PUBLIC;

--
-- Name: FUNCTION set_limit(player_id text, currency text, kind text, amount bigint, reason text); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.set_limit(player_id text, currency text, kind text, amount bigint, reason text) FROM PUBLIC;

--
-- Name: FUNCTION set_setting(name text, value text, reason text); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.set_setting(name text, value text, reason text) FROM PUBLIC;

--
-- Name: FUNCTION unblock_player(player_id text); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.unblock_player(player_id text) FROM PUBLIC;

--
-- Name: FUNCTION unpublished_events(batch_size integer); Type: ACL; Schema: wallet; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet.unpublished_events(batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION wallet.unpublished_events(batch_size integer) TO wallet_relay;

--
-- Name: FUNCTION advance_bet(op wallet_core.operation, operation text, bet_ref text, from_state text, to_state text, closing_status text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.advance_bet(op wallet_core.operation, operation text, bet_ref text, from_state text, to_state text, closing_status text) FROM PUBLIC;

--
-- Name: FUNCTION answer(op wallet_core.operation, operation_id bigint, success jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.answer(op wallet_core.operation, operation_id bigint, success jsonb) FROM PUBLIC;

--
-- Name: FUNCTION as_amount(value jsonb, field text, required boolean); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.as_amount(value jsonb, field text, required boolean) FROM PUBLIC;

--
-- Name: FUNCTION as_boolean(value jsonb, field text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.as_boolean(value jsonb, field text) FROM PUBLIC;

--
-- Name: FUNCTION as_currency(value jsonb, field text, required boolean); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.as_currency(value jsonb, field text, required boolean) FROM PUBLIC;

--
-- Name: FUNCTION as_decimal(value jsonb, field text, required boolean); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.as_decimal(value jsonb, field text, required boolean) FROM PUBLIC;

--
-- Name: FUNCTION as_id(value jsonb, field text, required boolean); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.as_id(value jsonb, field text, required boolean) FROM PUBLIC;

--
-- Name: FUNCTION as_object(value jsonb, field text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.as_object(value jsonb, field text) FROM PUBLIC;

--
-- Name: FUNCTION max_text_length(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.max_text_length() FROM PUBLIC;

--
-- Name: FUNCTION as_text(value jsonb, field text, required boolean, max_length integer); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.as_text(value jsonb, field text, required boolean, max_length integer) FROM PUBLIC;

--
-- Name: FUNCTION as_text_array(value jsonb, field text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.as_text_array(value jsonb, field text) FROM PUBLIC;

--
-- Name: FUNCTION as_timestamp(value jsonb, field text, required boolean); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.as_timestamp(value jsonb, field text, required boolean) FROM PUBLIC;

--
-- Name: FUNCTION bet_legs(legs_packed text, legs wallet_core.leg[]); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.bet_legs(legs_packed text, legs wallet_core.leg[]) FROM PUBLIC;

--
-- Name: FUNCTION bet_made_detail(bet_id bigint); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.bet_made_detail(bet_id bigint) FROM PUBLIC;

--
-- Name: FUNCTION bonus_journal_is_append_only(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.bonus_journal_is_append_only() FROM PUBLIC;

--
-- Name: FUNCTION bonus_of_make(account_id bigint, bonus_id text, bonus_type text, stake bigint); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.bonus_of_make(account_id bigint, bonus_id text, bonus_type text, stake bigint) FROM PUBLIC;

--
-- Name: FUNCTION booked_operations(window_from timestamp with time zone, window_to timestamp with time zone); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.booked_operations(window_from timestamp with time zone, window_to timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION change_time(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.change_time() FROM PUBLIC;

--
-- Name: FUNCTION check_limit_change(kind text, reason text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.check_limit_change(kind text, reason text) FROM PUBLIC;

--
-- Name: FUNCTION check_window(window_from timestamp with time zone, window_to timestamp with time zone); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.check_window(window_from timestamp with time zone, window_to timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION claim(op wallet_core.operation, OUT operation_id bigint, OUT status integer, OUT body jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.claim(op wallet_core.operation, OUT operation_id bigint, OUT status integer, OUT body jsonb) FROM PUBLIC;

--
-- Name: FUNCTION now(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.now() FROM PUBLIC;

--
-- Name: FUNCTION claim_bet(op wallet_core.operation, bet_ref text, player_id text, currency text, OUT operation_id bigint, OUT answer wallet_core.reply, OUT bet wallet_core.bets, OUT account wallet_core.accounts); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.claim_bet(op wallet_core.operation, bet_ref text, player_id text, currency text, OUT operation_id bigint, OUT answer wallet_core.reply, OUT bet wallet_core.bets, OUT account wallet_core.accounts) FROM PUBLIC;

--
-- Name: FUNCTION close_bet(request wallet_core.bet_request); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.close_bet(request wallet_core.bet_request) FROM PUBLIC;

--
-- Name: FUNCTION close_sessions(player_id text, why text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.close_sessions(player_id text, why text) FROM PUBLIC;

--
-- Name: FUNCTION commit_bet(request wallet_core.bet_request); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.commit_bet(request wallet_core.bet_request) FROM PUBLIC;

--
-- Name: FUNCTION count_activity(account_id bigint, stakes bigint, credits bigint, bets bigint); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.count_activity(account_id bigint, stakes bigint, credits bigint, bets bigint) FROM PUBLIC;

--
-- Name: FUNCTION currency_pattern(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.currency_pattern() FROM PUBLIC;

--
-- Name: FUNCTION decimal_pattern(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.decimal_pattern() FROM PUBLIC;

--
-- Name: FUNCTION discard_bet(request wallet_core.discard_request); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.discard_bet(request wallet_core.discard_request) FROM PUBLIC;

--
-- Name: FUNCTION emit_event(type text, player_id text, currency text, amount bigint, balance bigint, operation_id bigint, bet_id bigint, transaction_id text, detail jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.emit_event(type text, player_id text, currency text, amount bigint, balance bigint, operation_id bigint, bet_id bigint, transaction_id text, detail jsonb) FROM PUBLIC;

--
-- Name: FUNCTION error_answer(state text, message text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.error_answer(state text, message text) FROM PUBLIC;

--
-- Name: FUNCTION event_body(event wallet_core.events); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.event_body(event wallet_core.events) FROM PUBLIC;

--
-- Name: FUNCTION event_body(event wallet_core.events, detail jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.event_body(event wallet_core.events, detail jsonb) FROM PUBLIC;

--
-- Name: FUNCTION event_detail(event wallet_core.events); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.event_detail(event wallet_core.events) FROM PUBLIC;

--
-- Name: FUNCTION expect_equal(field text, value anycompatible, other anycompatible); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.expect_equal(field text, value anycompatible, other anycompatible) FROM PUBLIC;

--
-- Name: FUNCTION fits_id(value text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.fits_id(value text) FROM PUBLIC;

--
-- Name: FUNCTION fits_text(value text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.fits_text(value text) FROM PUBLIC;

--
-- Name: FUNCTION is_absent(value jsonb, field text, required boolean); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.is_absent(value jsonb, field text, required boolean) FROM PUBLIC;

--
-- Name: FUNCTION is_amount(value jsonb, optional boolean); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.is_amount(value jsonb, optional boolean) FROM PUBLIC;

--
-- Name: FUNCTION is_currency(value jsonb, optional boolean); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.is_currency(value jsonb, optional boolean) FROM PUBLIC;

--
-- Name: FUNCTION is_id_string(value jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.is_id_string(value jsonb) FROM PUBLIC;

--
-- Name: FUNCTION is_odds(value jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.is_odds(value jsonb) FROM PUBLIC;

--
-- Name: FUNCTION is_text(value jsonb, optional boolean); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.is_text(value jsonb, optional boolean) FROM PUBLIC;

--
-- Name: FUNCTION is_unix_seconds(value jsonb, optional boolean); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.is_unix_seconds(value jsonb, optional boolean) FROM PUBLIC;

--
-- Name: FUNCTION is_usual_make(request jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.is_usual_make(request jsonb) FROM PUBLIC;

--
-- Name: FUNCTION journal_is_append_only(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.journal_is_append_only() FROM PUBLIC;

--
-- Name: FUNCTION journal_mark(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.journal_mark() FROM PUBLIC;

--
-- Name: FUNCTION keep_settle_fields(read wallet_core.settle_request, request jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.keep_settle_fields(read wallet_core.settle_request, request jsonb) FROM PUBLIC;

--
-- Name: FUNCTION kept_decimal(value jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.kept_decimal(value jsonb) FROM PUBLIC;

--
-- Name: FUNCTION kept_legs(selections jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.kept_legs(selections jsonb) FROM PUBLIC;

--
-- Name: FUNCTION kept_time(value jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.kept_time(value jsonb) FROM PUBLIC;

--
-- Name: FUNCTION limit_refusal(account_id bigint, player_id text, currency text, stake bigint); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.limit_refusal(account_id bigint, player_id text, currency text, stake bigint) FROM PUBLIC;

--
-- Name: FUNCTION locked_account(player_id text, currency text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.locked_account(player_id text, currency text) FROM PUBLIC;

--
-- Name: FUNCTION make_bet(request wallet_core.make_request); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.make_bet(request wallet_core.make_request) FROM PUBLIC;

--
-- Name: FUNCTION max_amount(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.max_amount() FROM PUBLIC;

--
-- Name: FUNCTION max_id_length(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.max_id_length() FROM PUBLIC;

--
-- Name: FUNCTION move_bonus(grant_id bigint, operation text, amount bigint, bet_id bigint, transaction_id text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.move_bonus(grant_id bigint, operation text, amount bigint, bet_id bigint, transaction_id text) FROM PUBLIC;

--
-- Name: FUNCTION new_make_request(transaction_id text, player_id text, currency text, amount bigint, session_id text, bonus_id text, potential_win bigint, betslip_id text, provider_player_id text, transaction_at timestamp with time zone, placed_at timestamp with time zone, betslip_type text, odds numeric, is_quick_bet boolean, accept_odds_change boolean, selections wallet_core.selection_request[], bonus_type text, cross_rate_euro numeric); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.new_make_request(transaction_id text, player_id text, currency text, amount bigint, session_id text, bonus_id text, potential_win bigint, betslip_id text, provider_player_id text, transaction_at timestamp with time zone, placed_at timestamp with time zone, betslip_type text, odds numeric, is_quick_bet boolean, accept_odds_change boolean, selections wallet_core.selection_request[], bonus_type text, cross_rate_euro numeric) FROM PUBLIC;

--
-- Name: FUNCTION new_operation(kind text, key text, route text, player_id text, amount bigint, currency text, parent text, detail text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.new_operation(kind text, key text, route text, player_id text, amount bigint, currency text, parent text, detail text) FROM PUBLIC;

--
-- Name: FUNCTION new_selection_request(ordinal integer, selection_id text, event_id text, sport_id text, sport_name text, category_id text, category_name text, tournament_id text, tournament_name text, competitor_names text[], market_name text, outcome_name text, scheduled_at timestamp with time zone, live boolean, odds numeric); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.new_selection_request(ordinal integer, selection_id text, event_id text, sport_id text, sport_name text, category_id text, category_name text, tournament_id text, tournament_name text, competitor_names text[], market_name text, outcome_name text, scheduled_at timestamp with time zone, live boolean, odds numeric) FROM PUBLIC;

--
-- Name: FUNCTION new_settle_request(transaction_id text, player_id text, bet_ref text, amount bigint, currency text, reason text, result text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.new_settle_request(transaction_id text, player_id text, bet_ref text, amount bigint, currency text, reason text, result text) FROM PUBLIC;

--
-- Name: FUNCTION odds_limit(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.odds_limit() FROM PUBLIC;

--
-- Name: FUNCTION operation_answer(operation_id bigint, ext_transaction_id text, parent_transaction_id bigint, user_id text, operation text, amount bigint, currency text, balance bigint); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.operation_answer(operation_id bigint, ext_transaction_id text, parent_transaction_id bigint, user_id text, operation text, amount bigint, currency text, balance bigint) FROM PUBLIC;

--
-- Name: FUNCTION pack_leg(scheduled_at timestamp with time zone, live boolean, selection_id text, event_id text, sport_id text, category_id text, tournament_id text, market_name text, outcome_name text, odds numeric, competitor_names jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.pack_leg(scheduled_at timestamp with time zone, live boolean, selection_id text, event_id text, sport_id text, category_id text, tournament_id text, market_name text, outcome_name text, odds numeric, competitor_names jsonb) FROM PUBLIC;

--
-- Name: FUNCTION pack_legs(legs wallet_core.leg[]); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.pack_legs(legs wallet_core.leg[]) FROM PUBLIC;

--
-- Name: FUNCTION packed_fields(packed text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.packed_fields(packed text) FROM PUBLIC;

--
-- Name: FUNCTION packed_legs(packed text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.packed_legs(packed text) FROM PUBLIC;

--
-- Name: FUNCTION packs(packed text, legs integer); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.packs(packed text, legs integer) FROM PUBLIC;

--
-- Name: FUNCTION player_balance(request wallet_core.balance_request); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.player_balance(request wallet_core.balance_request) FROM PUBLIC;

--
-- Name: FUNCTION player_refusal(player_id text, currency text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.player_refusal(player_id text, currency text) FROM PUBLIC;

--
-- Name: FUNCTION post(account_id bigint, operation text, amount bigint, transaction_id text, bet_id bigint, reason text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.post(account_id bigint, operation text, amount bigint, transaction_id text, bet_id bigint, reason text) FROM PUBLIC;

--
-- Name: FUNCTION read_balance(request jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.read_balance(request jsonb) FROM PUBLIC;

--
-- Name: FUNCTION read_commit(request jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.read_commit(request jsonb) FROM PUBLIC;

--
-- Name: FUNCTION read_discard(request jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.read_discard(request jsonb) FROM PUBLIC;

--
-- Name: FUNCTION read_make(request jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.read_make(request jsonb) FROM PUBLIC;

--
-- Name: FUNCTION read_make_quickly(request jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.read_make_quickly(request jsonb) FROM PUBLIC;

--
-- Name: FUNCTION read_make_slowly(request jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.read_make_slowly(request jsonb) FROM PUBLIC;

--
-- Name: FUNCTION read_rollback(request jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.read_rollback(request jsonb) FROM PUBLIC;

--
-- Name: FUNCTION read_settle(request jsonb, operation text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.read_settle(request jsonb, operation text) FROM PUBLIC;

--
-- Name: FUNCTION read_settle_quickly(request jsonb, operation text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.read_settle_quickly(request jsonb, operation text) FROM PUBLIC;

--
-- Name: FUNCTION read_settle_slowly(request jsonb, operation text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.read_settle_slowly(request jsonb, operation text) FROM PUBLIC;

--
-- Name: FUNCTION read_settlement(request jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.read_settlement(request jsonb) FROM PUBLIC;

--
-- Name: FUNCTION real_credit(result text, amount bigint, stake bigint, bonus_stake bigint, win_net boolean); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.real_credit(result text, amount bigint, stake bigint, bonus_stake bigint, win_net boolean) FROM PUBLIC;

--
-- Name: FUNCTION reconcile_margin(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.reconcile_margin() FROM PUBLIC;

--
-- Name: FUNCTION record_limit_change(account wallet_core.accounts, at timestamp with time zone, action text, kind text, previous bigint, amount bigint, effective timestamp with time zone, reason text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.record_limit_change(account wallet_core.accounts, at timestamp with time zone, action text, kind text, previous bigint, amount bigint, effective timestamp with time zone, reason text) FROM PUBLIC;

--
-- Name: FUNCTION record_references(selections wallet_core.selection_request[]); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.record_references(selections wallet_core.selection_request[]) FROM PUBLIC;

--
-- Name: FUNCTION refuse(op wallet_core.operation, operation_id bigint, state text, message text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.refuse(op wallet_core.operation, operation_id bigint, state text, message text) FROM PUBLIC;

--
-- Name: FUNCTION refuse_rewriting_history(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.refuse_rewriting_history() FROM PUBLIC;

--
-- Name: FUNCTION reject(field text, problem text, state text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.reject(field text, problem text, state text) FROM PUBLIC;

--
-- Name: FUNCTION remember(op wallet_core.operation, operation_id bigint, status integer, answer jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.remember(op wallet_core.operation, operation_id bigint, status integer, answer jsonb) FROM PUBLIC;

--
-- Name: FUNCTION reported_state(state text, result text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.reported_state(state text, result text) FROM PUBLIC;

--
-- Name: FUNCTION require_player(player_id text, currency text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.require_player(player_id text, currency text) FROM PUBLIC;

--
-- Name: FUNCTION roll_back_bet(request wallet_core.rollback_request); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.roll_back_bet(request wallet_core.rollback_request) FROM PUBLIC;

--
-- Name: FUNCTION route(path text, request jsonb); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.route(path text, request jsonb) FROM PUBLIC;

--
-- Name: FUNCTION session_refusal(player_id text, session_id text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.session_refusal(player_id text, session_id text) FROM PUBLIC;

--
-- Name: FUNCTION sessions_enforced(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.sessions_enforced() FROM PUBLIC;

--
-- Name: FUNCTION settle_bet(route text, operation text, request wallet_core.settle_request); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.settle_bet(route text, operation text, request wallet_core.settle_request) FROM PUBLIC;

--
-- Name: FUNCTION start_guarding(account_id bigint); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.start_guarding(account_id bigint) FROM PUBLIC;

--
-- Name: FUNCTION unix_seconds_limit(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.unix_seconds_limit() FROM PUBLIC;

--
-- Name: FUNCTION unpack_legs(packed text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.unpack_legs(packed text) FROM PUBLIC;

--
-- Name: FUNCTION usual_make_path(); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.usual_make_path() FROM PUBLIC;

--
-- Name: FUNCTION window_of(kind text); Type: ACL; Schema: wallet_core; Owner: wallet_owner
--

REVOKE ALL ON FUNCTION wallet_core.window_of(kind text) FROM PUBLIC;
