{{
    config(
        materialized='incremental',
        unique_key=['event_date', 'customer_id', 'event_type', 'device'],
        incremental_strategy='delete+insert'
    )
}}

select
    cast(event_ts as date) as event_date,
    customer_id,
    event_type,
    device,
    count(*) as event_count,
    count(distinct session_id) as session_count,
    max(event_ts) as last_event_at
from {{ ref('stg_events') }}
{% if is_incremental() %}
where event_ts >= (select max(last_event_at) - interval '1 day' from {{ this }})
{% endif %}
group by 1, 2, 3, 4
