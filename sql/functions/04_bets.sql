-- Bets: find and lock a bet, the checks every settling route makes, moving a bet between states,
-- and the reference data (sports, categories, tournaments) a bet slip names.

create or replace function wallet_core.lock_bet(
    bet_ref text, out bet wallet_core.bets, out account wallet_core.accounts
)
language plpgsql
set search_path = ''
as $$
declare
    bet_account_id bigint;
begin
    -- bet_transaction_id is the wallet's own bet id; anything else names no bet.
    if bet_ref !~ '^[0-9]{1,18}$' then
        return;
    end if;
    select b.account_id into bet_account_id
    from wallet_core.bets as b
    where b.bet_id = bet_ref::bigint and b.made;
    if not found then
        return;
    end if;
    -- The account row is the lock that guards the bet too; the bet is read again under it.
    select a.* into strict account from wallet_core.accounts as a where a.account_id = bet_account_id
    for no key update;
    select b.* into strict bet from wallet_core.bets as b where b.bet_id = bet_ref::bigint;
end
$$;
comment on function wallet_core.lock_bet(text) is
'Finds a made bet by the wallet''s bet id and locks its account (the lock that guards the bet). '
'Both nulls when there is no such bet.';


create or replace function wallet_core.bet_refusal(
    player_id text,
    bet_ref text,
    bet wallet_core.bets,
    account wallet_core.accounts,
    currency text,
    out state text,
    out message text
)
language plpgsql stable
set search_path = ''
as $$
begin
    if wallet_core.player_refusal(player_id, null) is not null then
        state := 'WA006';
        message := format('player %s not found', player_id);
    elsif bet.bet_id is null then
        state := 'WA203';
        message := format('bet %s not found', bet_ref);
    elsif account.player_id <> player_id then
        state := 'WA206';
        message := format('bet %s belongs to another player', bet_ref);
    elsif account.currency <> currency then
        state := 'WA202';
        message := format('bet %s is in %s, not %s', bet_ref, account.currency, currency);
    end if;
end
$$;
comment on function wallet_core.bet_refusal(text, text, wallet_core.bets, wallet_core.accounts, text) is
'The checks a win, lost, refund or rollback makes before the bet''s state, in the contract''s order: '
'1006 unknown player, 2003 unknown bet, 2004 another player''s bet, 2002 another currency (a null '
'currency is not checked). Null state when the request may go on.';


create or replace function wallet_core.advance_bet(
    op wallet_core.operation,
    operation text,
    bet_ref text,
    from_state text,
    to_state text,
    closing_status text
)
returns wallet_core.reply
language plpgsql
set search_path = ''
as $$
declare
    claimed record;
    locked record;
begin
    claimed := wallet_core.claim(op);
    if claimed.status is not null then
        return row(claimed.status, claimed.body);
    end if;

    locked := wallet_core.lock_bet(bet_ref);
    if (locked.bet).bet_id is null then
        return wallet_core.refuse(op, claimed.operation_id, 'WA203', format('bet %s not found', bet_ref));
    end if;
    if (locked.bet).state <> from_state then
        return wallet_core.refuse(
            op, claimed.operation_id, 'WA206',
            format('bet %s is %s: only a bet that is %s allows %s', bet_ref, (locked.bet).state, from_state, op.route)
        );
    end if;

    update wallet_core.bets as b
    set state = to_state, closing_status = coalesce(advance_bet.closing_status, b.closing_status), updated_at = now()
    where b.bet_id = (locked.bet).bet_id;
    perform wallet_core.emit_event(
        case to_state when 'closed' then 'bet.settled' else 'bet.committed' end,
        (locked.account).player_id, (locked.account).currency, 0, (locked.account).balance,
        claimed.operation_id, (locked.bet).bet_id, (locked.bet).make_transaction_id,
        case to_state
            when 'closed' then jsonb_build_object('result', (locked.bet).result, 'status', advance_bet.closing_status)
            else '{}'::jsonb
        end
    );

    return wallet_core.answer(
        op, claimed.operation_id,
        wallet_core.operation_answer(
            claimed.operation_id, (locked.bet).make_transaction_id, (locked.bet).bet_id,
            (locked.account).player_id, operation, 0, (locked.account).currency, (locked.account).balance
        )
    );
end
$$;
comment on function wallet_core.advance_bet(wallet_core.operation, text, text, text, text, text) is
'Moves a bet from one state to the next without moving money (commit: open -> accepted; '
'settlement: settled -> closed), exactly once per operation key. Behind bet_commit and bet_settlement.';

create or replace function wallet_core.record_references(selections wallet_core.selection_request[])
returns void
language plpgsql
set search_path = ''
as $$
begin
    -- Usually every sport, category and tournament is known, under the same name: one read, no write.
    if not exists (
        select from unnest(selections) as s
        where
            not exists (
                select from wallet_core.sports as r where r.sport_id = s.sport_id and r.name = s.sport_name
            )
            or not exists (
                select from wallet_core.categories as r
                where r.category_id = s.category_id and r.name = s.category_name
            )
            or not exists (
                select from wallet_core.tournaments as r
                where r.tournament_id = s.tournament_id and r.name = s.tournament_name
            )
    ) then
        return;
    end if;

    -- New rows go in in key order (sports, then categories, then tournaments, each sorted), so
    -- two bet slips naming the same new keys in opposite orders wait for each other instead of
    -- deadlocking, and nobody gets a duplicate-key error. Existing rows are not touched.
    insert into wallet_core.sports (sport_id, name)
    select distinct on (s.sport_id) s.sport_id, s.sport_name from unnest(selections) as s order by s.sport_id
    on conflict (sport_id) do nothing;
    insert into wallet_core.categories (category_id, sport_id, name)
    select distinct on (s.category_id) s.category_id, s.sport_id, s.category_name from unnest(selections) as s
    order by s.category_id
    on conflict (category_id) do nothing;
    insert into wallet_core.tournaments (tournament_id, category_id, name)
    select distinct on (s.tournament_id) s.tournament_id, s.category_id, s.tournament_name
    from unnest(selections) as s
    order by s.tournament_id
    on conflict (tournament_id) do nothing;

    -- A renamed row is rewritten, locked first in key order; an unchanged one is not locked.
    perform from wallet_core.sports as r join unnest(selections) as s on r.sport_id = s.sport_id
    where r.name <> s.sport_name order by r.sport_id for no key update of r;
    update wallet_core.sports as r set name = s.sport_name from unnest(selections) as s
    where r.sport_id = s.sport_id and r.name <> s.sport_name;
    perform from wallet_core.categories as r join unnest(selections) as s on r.category_id = s.category_id
    where r.name <> s.category_name order by r.category_id for no key update of r;
    update wallet_core.categories as r set name = s.category_name from unnest(selections) as s
    where r.category_id = s.category_id and r.name <> s.category_name;
    perform from wallet_core.tournaments as r join unnest(selections) as s on r.tournament_id = s.tournament_id
    where r.name <> s.tournament_name order by r.tournament_id for no key update of r;
    update wallet_core.tournaments as r set name = s.tournament_name from unnest(selections) as s
    where r.tournament_id = s.tournament_id and r.name <> s.tournament_name;
end
$$;
comment on function wallet_core.record_references(wallet_core.selection_request[]) is
'Makes the sports, categories and tournaments a bet slip names exist under the names it gives: a '
'read-only check when they all do; otherwise inserts the new ones and renames changed ones, '
'deadlock-free by fixed key order.';
