-- one row per candidate of the day in the sampled mode (temporary table kb_members): its
-- first eight distinct subjects (by subject_key), in the order of their first member.
with

members as (
    select * from kb_members where subject_key <> ''
),

subjects as (
    select
        candidate_id,
        arg_min(subject, member_rank) as subject,
        min(member_rank) as first_rank,
    from members
    group by candidate_id, subject_key
    qualify row_number() over (partition by candidate_id order by first_rank) <= 8
),

final as (
    select candidate_id, list(subject order by first_rank) as symptoms,
    from subjects
    group by candidate_id
)

select * from final
