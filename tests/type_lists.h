// Compile-time type lists for the typed suites: a kind's list
// (AllPolicies<TypeList>, from refcount/all.h and the others) joined with a
// suite's test-only variants, and split by a trait, so that a test that
// applies to some policies only is instantiated for exactly those — a new
// policy lands on the right side of every split by its traits alone, and no
// test is instantiated only to skip.
//
//   using All = Concat<refcount::AllPolicies<TypeList>, TypeList<Immortal<Plain>>>;
//   using Crossing = ToTypes<Filter<CrossesThreads, All>>;  // CrossesThreads<T>::value
//   TYPED_TEST_SUITE(RefcountCrossThreads, Crossing);  // a name: the macro splits on commas
#pragma once

#include <gtest/gtest.h>

#include <type_traits>

namespace rclab::tests {

template <class... Ts>
struct TypeList {};

// Concat<TypeList<A...>, TypeList<B...>, ...>: one list, in order.
namespace detail {
template <class... Lists>
struct ConcatImpl;
template <>
struct ConcatImpl<> {
  using type = TypeList<>;
};
template <class... A>
struct ConcatImpl<TypeList<A...>> {
  using type = TypeList<A...>;
};
template <class... A, class... B, class... Rest>
struct ConcatImpl<TypeList<A...>, TypeList<B...>, Rest...> {
  using type = typename ConcatImpl<TypeList<A..., B...>, Rest...>::type;
};
}  // namespace detail
template <class... Lists>
using Concat = typename detail::ConcatImpl<Lists...>::type;

// Filter<Pred, TypeList<T...>>: the T for which Pred<T>::value is true, in order.
namespace detail {
template <template <class> class Pred, class List>
struct FilterImpl;
template <template <class> class Pred, class... Ts>
struct FilterImpl<Pred, TypeList<Ts...>> {
  using type = Concat<std::conditional_t<Pred<Ts>::value, TypeList<Ts>, TypeList<>>...>;
};
}  // namespace detail
template <template <class> class Pred, class List>
using Filter = typename detail::FilterImpl<Pred, List>::type;

// The complement of a predicate: Filter<Not<P>::template Pred, List>.
template <template <class> class P>
struct Not {
  template <class T>
  using Pred = std::bool_constant<!P<T>::value>;
};

// How many types a list holds.
template <class List>
struct Size;
template <class... Ts>
struct Size<TypeList<Ts...>> : std::integral_constant<std::size_t, sizeof...(Ts)> {};

// Whether T is in the list.
template <class T, class List>
struct Contains;
template <class T, class... Ts>
struct Contains<T, TypeList<Ts...>> : std::bool_constant<(std::is_same_v<T, Ts> || ...)> {};

// The list as the ::testing::Types a typed suite takes. A filtered list must
// not be empty: gtest cannot instantiate a suite over no types, and a split
// that leaves one side empty is a suite that tests nothing.
namespace detail {
template <class List>
struct ToTypesImpl;
template <class... Ts>
struct ToTypesImpl<TypeList<Ts...>> {
  static_assert(sizeof...(Ts) > 0, "an empty type list: no policy of this kind has the trait the suite needs");
  using type = ::testing::Types<Ts...>;
};
}  // namespace detail
template <class List>
using ToTypes = typename detail::ToTypesImpl<List>::type;

}  // namespace rclab::tests
