-- TEMPORARY, branch books only: replaced by 0500_bonus_bets.sql at merge (delete this file then).
--
-- The interface between the bonus work (issue 15 part 1) and the books (parts 2 to 4): the part
-- of a bet's stake taken from a bonus grant. 0500_bonus_bets.sql adds the same column; this file
-- exists only so that the books branch (wallet.money_report's bonus cost, wallet.player_bets'
-- bonus) works alone. Until 0500 lands nothing writes it, so it is 0 on every bet.
alter table wallet_core.bets add column bonus_stake bigint not null default 0 check (bonus_stake >= 0);
