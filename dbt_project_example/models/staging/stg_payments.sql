-- Some payment providers deliver amounts as text; TRY_CAST keeps the load running and leaves NULL.
select
    payment_id,
    order_id,
    lower(payment_method) as payment_method,
    {{ try_cast_or_null('amount', 'decimal(12, 2)') }} as amount,
    status as payment_status,
    created_at
from {{ source('shop', 'payments') }}
