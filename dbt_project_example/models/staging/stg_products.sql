-- Everything the catalogue sends, plus the price in currency units.
with source as (

    select * from {{ source('shop', 'products') }}

)

select
    *,
    cast(unit_price_cents as decimal(12, 2)) / 100 as unit_price
from source
