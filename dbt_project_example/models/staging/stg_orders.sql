select
    order_id,
    customer_id,
    cast(ordered_at as timestamp) as ordered_at,
    status as order_status,
    channel
from {{ source('shop', 'orders') }}
