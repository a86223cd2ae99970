-- One stream of everything a customer did: orders and web/app events.
select
    customer_id,
    'order' as activity_type,
    ordered_at as activity_at
from {{ ref('stg_orders') }}

union all

select
    customer_id,
    event_type as activity_type,
    event_ts as activity_at
from {{ ref('stg_events') }}
