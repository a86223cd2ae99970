{{ config(materialized='ephemeral') }}

select
    payment_id,
    order_id,
    payment_method,
    amount,
    created_at
from {{ ref('stg_payments') }}
where payment_status = 'success'
