-- one row per candidate of the day in the sampled mode (temporary table kb_members, see
-- window_members.sql): its size, members and similarities by rank, its first 15 subjects and
-- the rank of its first member with a resolution (1 when none has). Largest first.
with

members as (
    select * from kb_members
),

final as (
    select
        candidate_id,
        count(*) as tickets,
        list(similarity order by member_rank) as similarities,
        list(ticket_id order by member_rank) as ticket_ids,
        list(subject order by member_rank) filter (where member_rank <= 15) as subjects,
        coalesce(min(member_rank) filter (where has_resolution), 1) as representative,
        min(ticket_id) as first_ticket_id,
    from members
    group by candidate_id
)

select * exclude (first_ticket_id) from final
order by tickets desc, first_ticket_id
