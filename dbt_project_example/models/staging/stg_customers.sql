with source as (

    select * from {{ source('shop', 'customers') }}

)

select
    customer_id,
    lower(email) as email,
    first_name || ' ' || last_name as full_name,
    upper(country_code) as country_code,
    coalesce(segment, 'consumer') as segment,
    cast(signup_at as date) as signup_date
from source
